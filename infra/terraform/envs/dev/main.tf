locals {
  env     = "dev"
  project = "keep-dev"
  region  = "europe-west1"
}

module "network" {
  source = "../../modules/network"

  project_id    = local.project
  region        = local.region
  name          = "keep-${local.env}"
  nodes_cidr    = "10.10.0.0/20"
  pods_cidr     = "10.20.0.0/14"
  services_cidr = "10.24.0.0/20"
}

module "gke" {
  source = "../../modules/gke"

  project_id                 = local.project
  region                     = local.region
  name                       = "keep-${local.env}"
  environment                = local.env
  network_id                 = module.network.network_id
  subnetwork_id              = module.network.subnetwork_id
  pods_range_name            = module.network.pods_range_name
  services_range_name        = module.network.services_range_name
  master_ipv4_cidr_block     = "172.16.0.0/28"
  master_authorized_networks = var.master_authorized_networks
  release_channel            = "REGULAR"
  machine_type               = "e2-standard-2"
  min_nodes_per_zone         = 1
  max_nodes_per_zone         = 2
}

module "edge" {
  source = "../../modules/edge"

  project_id = local.project
  name       = "keep-${local.env}-ip"
}
