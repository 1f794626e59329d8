# One environment (dev, prod): its VPC, private GKE cluster, ingress address and, where asked for,
# Memorystore. The env roots differ only in the values they pass.

module "network" {
  source = "../network"

  project_id    = var.project_id
  region        = var.region
  name          = "keep-${var.env}"
  nodes_cidr    = var.cidrs.nodes
  pods_cidr     = var.cidrs.pods
  services_cidr = var.cidrs.services
}

module "gke" {
  source = "../gke"

  project_id                 = var.project_id
  region                     = var.region
  name                       = "keep-${var.env}"
  environment                = var.env
  network_id                 = module.network.network_id
  subnetwork_id              = module.network.subnetwork_id
  pods_range_name            = module.network.pods_range_name
  services_range_name        = module.network.services_range_name
  master_ipv4_cidr_block     = var.cidrs.master
  master_authorized_networks = var.master_authorized_networks
  rbac_security_group        = var.rbac_security_group
  release_channel            = var.release_channel
  machine_type               = var.machine_type
  min_nodes_per_zone         = var.min_nodes_per_zone
  max_nodes_per_zone         = var.max_nodes_per_zone
}

module "edge" {
  source = "../edge"

  project_id = var.project_id
  name       = "keep-${var.env}-ip"
}

module "memorystore" {
  source   = "../memorystore"
  for_each = var.memorystore == null ? {} : { redis = var.memorystore }

  project_id        = var.project_id
  region            = var.region
  name              = "keep-${var.env}-redis"
  network_id        = module.network.network_id
  memory_size_gb    = each.value.memory_size_gb
  reserved_ip_range = each.value.reserved_ip_range
}
