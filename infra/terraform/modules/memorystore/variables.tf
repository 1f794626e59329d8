variable "project_id" {
  type = string
}

variable "region" {
  type    = string
  default = "europe-west1"
}

variable "name" {
  type = string
}

variable "network_id" {
  description = "VPC the instance is reachable from (the GKE cluster's)."
  type        = string
}

variable "memory_size_gb" {
  type    = number
  default = 1
}

variable "redis_version" {
  type    = string
  default = "REDIS_7_0"
}

variable "reserved_ip_range" {
  description = "The /29 the instance gets in the VPC; deploy/kustomize/overlays/prod allows egress to it."
  type        = string
}

variable "rdb_snapshot_period" {
  description = "How often Memorystore writes an RDB snapshot (ONE_HOUR, SIX_HOURS, TWELVE_HOURS, TWENTY_FOUR_HOURS)."
  type        = string
  default     = "ONE_HOUR"
}
