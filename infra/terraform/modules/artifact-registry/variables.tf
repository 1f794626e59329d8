variable "project_id" {
  description = "Shared artifacts project (keep-artifacts)."
  type        = string
}

variable "location" {
  type    = string
  default = "europe-west1"
}

variable "repository_id" {
  type    = string
  default = "keep"
}

variable "github_repository" {
  description = "owner/name of the only GitHub repository whose Actions may push."
  type        = string
  default     = "keep-dev/keep"
}

variable "github_repository_id" {
  description = "Numeric id of that repository (the OIDC token's repository_id claim)."
  type        = string
}

variable "push_ref" {
  description = "Git ref whose workflows may impersonate the push account."
  type        = string
  default     = "refs/heads/main"
}

variable "keep_recent_versions" {
  description = "Cleanup keeps at least this many most recent versions per image."
  type        = number
  default     = 30
}

variable "promotion_tag_prefix" {
  description = "Tag prefix `keep-release promote` adds to promoted images (keep.release.promotion.MARKER_PREFIX); versions carrying it are never cleaned up."
  type        = string
  default     = "prod-"
}

variable "untagged_max_age" {
  type    = string
  default = "604800s" # 7 days
}

variable "tagged_max_age" {
  type    = string
  default = "7776000s" # 90 days; the keep policies win for recent and promoted versions
}

variable "repository_admins" {
  description = "Members (e.g. env Terraform deployers) that may manage IAM on this repository only."
  type        = list(string)
  default     = []
}
