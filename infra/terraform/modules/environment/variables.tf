variable "env" {
  description = "dev or prod: names everything keep-<env>."
  type        = string
  validation {
    condition     = contains(["dev", "prod"], var.env)
    error_message = "env must be dev or prod."
  }
}

variable "project_id" {
  type = string
}

variable "region" {
  type    = string
  default = "europe-west1"
}

variable "cidrs" {
  description = "nodes (subnet), pods and services (secondary ranges), master (/28 of the control plane). Must not overlap another environment's."
  type = object({
    nodes    = string
    pods     = string
    services = string
    master   = string
  })
}

variable "master_authorized_networks" {
  description = "CIDRs allowed to reach the cluster's public control-plane endpoint (empty: VPC only)."
  type = list(object({
    cidr_block   = string
    display_name = string
  }))
  default = []
}

variable "rbac_security_group" {
  description = "Google Groups for RBAC: gke-security-groups@<your domain>, or null to leave it off."
  type        = string
  default     = null
}

variable "release_channel" {
  type = string
}

variable "machine_type" {
  type = string
}

variable "min_nodes_per_zone" {
  type = number
}

variable "max_nodes_per_zone" {
  type = number
}

variable "memorystore" {
  description = "null: no Memorystore. Otherwise its size and the /29 it gets (which the env's overlay NetworkPolicy allows)."
  type = object({
    memory_size_gb    = number
    reserved_ip_range = string
  })
  default = null
}
