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

output "redis_host" {
  value = module.memorystore.host
}

output "redis_url" {
  description = "Value of the Secret redis-url key url (terraform output -raw redis_url)."
  value       = module.memorystore.redis_url
  sensitive   = true
}

output "redis_server_ca" {
  description = "Memorystore's server CA (PEM): the Secret redis-ca key ca.pem."
  value       = module.memorystore.server_ca_certs
  sensitive   = true
}
