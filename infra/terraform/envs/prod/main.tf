locals {
  env     = "prod"
  project = "keep-prod"
  region  = "europe-west1"
}

module "network" {
  source = "../../modules/network"

  project_id    = local.project
  region        = local.region
  name          = "keep-${local.env}"
  nodes_cidr    = "10.30.0.0/20"
  pods_cidr     = "10.40.0.0/14"
  services_cidr = "10.44.0.0/20"
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
  master_ipv4_cidr_block     = "172.16.0.16/28"
  master_authorized_networks = var.master_authorized_networks
  release_channel            = "STABLE"
  machine_type               = "e2-standard-4"
  min_nodes_per_zone         = 1
  max_nodes_per_zone         = 4
}

module "edge" {
  source = "../../modules/edge"

  project_id = local.project
  name       = "keep-${local.env}-ip"
}

module "memorystore" {
  source = "../../modules/memorystore"

  project_id     = local.project
  region         = local.region
  name           = "keep-${local.env}-redis"
  network_id     = module.network.network_id
  memory_size_gb = 1
  # Outside the subnet and its secondary ranges; must equal the prod overlay's NetworkPolicy
  # (overlays/prod/app/patches/memorystore-cidr.yaml; a static test compares them).
  reserved_ip_range = "10.48.0.0/29"
}
