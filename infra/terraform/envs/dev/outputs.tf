output "cluster_name" {
  value = module.gke.cluster_name
}

output "node_service_account" {
  value = module.gke.node_service_account
}

output "ingress_ip" {
  description = "Point the env's host A record here."
  value       = module.edge.address
}
