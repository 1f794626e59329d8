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

variable "state_account_id" {
  type    = string
  default = "terraform-state"
}

variable "impersonators" {
  description = "Members allowed to mint tokens for the state account (the Terraform deployers)."
  type        = list(string)
  default     = []
}
