variable "project_id" {
  description = "Project that owns the state bucket (keep-artifacts)."
  type        = string
}

variable "bucket_name" {
  type    = string
  default = "keep-artifacts-tfstate"
}

variable "location" {
  type    = string
  default = "europe-west1"
}

variable "noncurrent_versions_kept" {
  description = "Older state versions kept per object (for recovery)."
  type        = number
  default     = 50
}

variable "prefixes" {
  description = "root => its backend prefix (no trailing slash); each root gets the state account tfstate-<root>, limited to <prefix>/."
  type        = map(string)
}

variable "plan_readers" {
  description = "root => member (its read-only plan account) that may read the root's state objects."
  type        = map(string)
  default     = {}
}
