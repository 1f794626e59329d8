output "host" {
  value = google_redis_instance.this.host
}

output "port" {
  value = google_redis_instance.this.port
}

output "auth_string" {
  value     = google_redis_instance.this.auth_string
  sensitive = true
}

output "server_ca_certs" {
  description = "PEM of the server CA (mount it for rediss:// verification)."
  value       = google_redis_instance.this.server_ca_certs[0].cert
  sensitive   = true
}

output "redis_url" {
  description = "Value for the Secret redis-url key url; the CA path is where the memorystore Kustomize component mounts Secret redis-ca."
  value       = "rediss://:${google_redis_instance.this.auth_string}@${google_redis_instance.this.host}:${google_redis_instance.this.port}/0?ssl_ca_certs=/etc/keep/redis-ca/ca.pem"
  sensitive   = true
}
