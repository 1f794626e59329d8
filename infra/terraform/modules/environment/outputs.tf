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

output "memorystore" {
  description = "null without Memorystore; else host, redis_url and server_ca_certs."
  value = var.memorystore == null ? null : {
    host            = module.memorystore["redis"].host
    redis_url       = module.memorystore["redis"].redis_url
    server_ca_certs = module.memorystore["redis"].server_ca_certs
  }
  sensitive = true
}
