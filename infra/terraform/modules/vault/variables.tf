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
  description = "IAM member Vault's GCP engine runs as (its ADC / Workload Identity), e.g. serviceAccount:vault@keep-artifacts.iam.gserviceaccount.com. It gets serviceAccountTokenCreator on each account Vault mints tokens for."
  type        = string
}

variable "deployers" {
  description = "Terraform roots: name => {project, apply_roles, plan_roles}. Vault exposes terraform-<name> (apply) and terraform-<name>-plan (read-only) as impersonated accounts."
  type = map(object({
    project     = string
    apply_roles = list(string)
    plan_roles  = list(string)
  }))
}

variable "plan_roles_elsewhere" {
  description = "Read roles of plan accounts in projects other than their own: key => {root, project, roles}."
  type = map(object({
    root    = string
    project = string
    roles   = list(string)
  }))
  default = {}
}

variable "state_accounts" {
  description = "root => {email, name} of its state account (module state); exposed as tfstate-<root>."
  type = map(object({
    email = string
    name  = string
  }))
}

variable "github_repository" {
  description = "owner/name of the repository whose workflows may log in (JWT auth)."
  type        = string
  default     = "keep-dev/keep"
}

variable "github_repository_id" {
  description = "Numeric id of that repository (the JWT's repository_id claim)."
  type        = string
}

variable "github_audience" {
  description = "Audience the workflows request for their OIDC token (vault-action jwtGithubAudience)."
  type        = string
  default     = "https://github.com/keep-dev"
}

variable "github_jwt_path" {
  description = "Mount path of the JWT auth method for GitHub Actions (VAULT_JWT_PATH in the workflows)."
  type        = string
  default     = "jwt-github"
}
