variable "master_authorized_networks" {
  description = "CIDRs allowed to reach the cluster's public control-plane endpoint (empty: VPC only)."
  type = list(object({
    cidr_block   = string
    display_name = string
  }))
  default = []
}
