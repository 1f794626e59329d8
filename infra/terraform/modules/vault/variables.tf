variable "mount_path" {
  description = "Path of Vault's GCP secrets engine."
  type        = string
  default     = "gcp"
}

variable "token_ttl_seconds" {
  description = "Lease TTL of the mount (access tokens themselves live at most 1 h)."
  type        = number
  default     = 3600
}

variable "vault_principal" {
  description = "IAM member Vault's GCP engine runs as (its ADC / Workload Identity), e.g. serviceAccount:vault@keep-artifacts.iam.gserviceaccount.com. It gets serviceAccountTokenCreator on each deployer."
  type        = string
}

variable "deployers" {
  description = "Terraform deployer accounts: name => {project, roles}. Vault exposes each as impersonated-account/<name>."
  type = map(object({
    project = string
    roles   = list(string)
  }))
}

variable "github_repository" {
  description = "owner/name of the repository whose workflows may log in (JWT auth)."
  type        = string
  default     = "keep-dev/keep"
}

variable "github_jwt_path" {
  description = "Mount path of the JWT auth method for GitHub Actions (VAULT_JWT_PATH in the workflows)."
  type        = string
  default     = "jwt-github"
}
