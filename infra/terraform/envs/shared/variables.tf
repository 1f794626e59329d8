variable "github_repository_id" {
  description = "Numeric id of keep-dev/keep (`gh api repos/keep-dev/keep --jq .id`; the workflow passes TF_VAR_github_repository_id from github.repository_id). Pinned in the WIF condition: a repository recreated under the same name gets a new id."
  type        = string
}

variable "deployer_account" {
  description = "Vault impersonated account the google provider's token comes from: the apply account, or the read-only plan account (CI plans pass -var deployer_account=terraform-shared-plan)."
  type        = string
  default     = "terraform-shared"
  validation {
    condition     = contains(["terraform-shared", "terraform-shared-plan"], var.deployer_account)
    error_message = "deployer_account must be terraform-shared or terraform-shared-plan."
  }
}
