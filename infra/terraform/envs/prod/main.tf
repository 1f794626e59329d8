module "environment" {
  source = "../../modules/environment"

  env        = "prod"
  project_id = "keep-prod"
  region     = "europe-west1"
  cidrs = {
    nodes    = "10.30.0.0/20"
    pods     = "10.40.0.0/14"
    services = "10.44.0.0/20"
    master   = "172.16.0.16/28"
  }
  master_authorized_networks = var.master_authorized_networks
  rbac_security_group        = var.rbac_security_group
  release_channel            = "STABLE"
  machine_type               = "e2-standard-4"
  min_nodes_per_zone         = 1
  max_nodes_per_zone         = 4
  memorystore = {
    memory_size_gb = 1
    # Outside the subnet and its secondary ranges; must equal the prod overlay's NetworkPolicy
    # (overlays/prod/app/patches/memorystore-cidr.yaml; a static test compares them).
    reserved_ip_range = "10.48.0.0/29"
  }
}
