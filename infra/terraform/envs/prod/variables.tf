variable "master_authorized_networks" {
  description = "CIDRs allowed to reach the cluster's public control-plane endpoint (empty: VPC only). ArgoCD runs inside each cluster, so nothing else needs to reach it."
  type = list(object({
    cidr_block   = string
    display_name = string
  }))
  default = []
}

variable "rbac_security_group" {
  description = "Google Groups for RBAC (gke-security-groups@<your domain>); null leaves it off."
  type        = string
  default     = null
}

variable "deployer_account" {
  description = "Vault impersonated account the google provider's token comes from: the apply account, or the read-only plan account (CI plans pass -var deployer_account=terraform-<root>-plan)."
  type        = string
  default     = "terraform-prod"
  validation {
    condition     = contains(["terraform-prod", "terraform-prod-plan"], var.deployer_account)
    error_message = "deployer_account must be terraform-prod or terraform-prod-plan."
  }
}
