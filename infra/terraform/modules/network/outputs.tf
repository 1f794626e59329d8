output "network_id" {
  description = "Self link/id of the VPC."
  value       = google_compute_network.vpc.id
}

output "network_name" {
  value = google_compute_network.vpc.name
}

output "subnetwork_id" {
  value = google_compute_subnetwork.nodes.id
}

output "subnetwork_name" {
  value = google_compute_subnetwork.nodes.name
}

output "pods_range_name" {
  description = "Secondary range name for pods (feed to gke.ip_allocation_policy)."
  value       = local.pods_range_name
}

output "services_range_name" {
  value = local.services_range_name
}
