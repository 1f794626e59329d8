output "cluster_name" {
  value = module.environment.cluster_name
}

output "node_service_account" {
  value = module.environment.node_service_account
}

output "ingress_ip" {
  description = "Point the env's host A record here."
  value       = module.environment.ingress_ip
}
