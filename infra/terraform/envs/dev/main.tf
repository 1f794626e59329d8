module "environment" {
  source = "../../modules/environment"

  env        = "dev"
  project_id = "keep-dev"
  region     = "europe-west1"
  cidrs = {
    nodes    = "10.10.0.0/20"
    pods     = "10.20.0.0/14"
    services = "10.24.0.0/20"
    master   = "172.16.0.0/28"
  }
  master_authorized_networks = var.master_authorized_networks
  rbac_security_group        = var.rbac_security_group
  release_channel            = "REGULAR"
  machine_type               = "e2-standard-2"
  min_nodes_per_zone         = 1
  max_nodes_per_zone         = 2
}
