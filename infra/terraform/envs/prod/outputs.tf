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

output "redis_host" {
  value     = module.environment.memorystore.host
  sensitive = true
}

output "redis_url" {
  description = "Value of the Secret redis-url key url (terraform output -raw redis_url)."
  value       = module.environment.memorystore.redis_url
  sensitive   = true
}

output "redis_server_ca" {
  description = "Memorystore's server CA (PEM): the Secret redis-ca key ca.pem."
  value       = module.environment.memorystore.server_ca_certs
  sensitive   = true
}
