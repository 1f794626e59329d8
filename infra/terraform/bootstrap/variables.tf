variable "vault_principal" {
  description = "IAM member that Vault's GCP engine authenticates as, e.g. serviceAccount:vault@keep-artifacts.iam.gserviceaccount.com (or user:you@example.com for a local `bao server -dev` using your ADC)."
  type        = string
}

variable "github_repository" {
  description = "owner/name of the repository whose workflows log in to Vault."
  type        = string
  default     = "keep-dev/keep"
}

variable "github_repository_id" {
  description = "Numeric id of that repository (`gh api repos/keep-dev/keep --jq .id`): names can be reused after a rename or deletion, ids cannot."
  type        = string
}
