variable "project_id" {
  description = "Project of the cluster (keep-dev / keep-prod)."
  type        = string
}

variable "region" {
  description = "Region: the cluster is regional (control plane and nodes in three zones)."
  type        = string
  default     = "europe-west1"
}

variable "name" {
  description = "Cluster name, e.g. keep-dev."
  type        = string
}

variable "environment" {
  description = "dev or prod (label)."
  type        = string
}

variable "network_id" {
  type = string
}

variable "subnetwork_id" {
  type = string
}

variable "pods_range_name" {
  type = string
}

variable "services_range_name" {
  type = string
}

variable "master_ipv4_cidr_block" {
  description = "/28 for the control plane's private endpoint peering."
  type        = string
}

variable "master_authorized_networks" {
  description = "CIDRs allowed to reach the public control-plane endpoint (kubectl, CI)."
  type = list(object({
    cidr_block   = string
    display_name = string
  }))
}

variable "release_channel" {
  type    = string
  default = "REGULAR"
  validation {
    condition     = contains(["RAPID", "REGULAR", "STABLE"], var.release_channel)
    error_message = "release_channel must be RAPID, REGULAR or STABLE."
  }
}

variable "machine_type" {
  type    = string
  default = "e2-standard-2"
}

variable "min_nodes_per_zone" {
  type    = number
  default = 1
}

variable "max_nodes_per_zone" {
  type    = number
  default = 3
}

variable "artifact_registry_project" {
  description = "Project of the shared Artifact Registry repository."
  type        = string
  default     = "keep-artifacts"
}

variable "artifact_registry_location" {
  type    = string
  default = "europe-west1"
}

variable "artifact_registry_repository" {
  description = "Repository id the nodes pull images from."
  type        = string
  default     = "keep"
}

variable "deletion_protection" {
  type    = bool
  default = true
}

variable "control_plane_webhook_ports" {
  description = "Pod ports of webhooks the control plane must call (8443: Emissary's emissary-apiext CRD conversion)."
  type        = list(string)
  default     = ["8443"]
}

variable "rbac_security_group" {
  description = "Google Groups for RBAC: the organisation's gke-security-groups@<domain> group, or null to leave it off."
  type        = string
  default     = null
  validation {
    condition     = var.rbac_security_group == null || startswith(coalesce(var.rbac_security_group, "-"), "gke-security-groups@")
    error_message = "GKE only accepts a group named gke-security-groups@<your domain>."
  }
}
