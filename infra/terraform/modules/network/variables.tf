variable "project_id" {
  description = "GCP project that owns the VPC."
  type        = string
}

variable "region" {
  description = "Region of the subnet, router and NAT."
  type        = string
  default     = "europe-west1"
}

variable "name" {
  description = "Name prefix, e.g. keep-dev."
  type        = string
}

variable "nodes_cidr" {
  description = "Primary range of the subnet (GKE nodes)."
  type        = string
}

variable "pods_cidr" {
  description = "Secondary range for pods."
  type        = string
}

variable "services_cidr" {
  description = "Secondary range for services."
  type        = string
}
