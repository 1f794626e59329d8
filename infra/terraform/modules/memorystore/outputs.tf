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
  description = "PEM of every server CA Memorystore lists (during a rotation the old and the new one): mount it for rediss:// verification."
  value       = join("\n", google_redis_instance.this.server_ca_certs[*].cert)
  sensitive   = true
}

# ssl_check_hostname=false: Memorystore's server certificate carries the instance IP only in the
# subject CN (no IP SAN), which no hostname check matches; the chain is still verified against
# the instance's own CA (ssl_ca_certs), which signs nothing else.
output "redis_url" {
  description = "Value for the Secret redis-url key url; the CA path is where the memorystore Kustomize component mounts Secret redis-ca."
  value       = "rediss://:${google_redis_instance.this.auth_string}@${google_redis_instance.this.host}:${google_redis_instance.this.port}/0?ssl_ca_certs=/etc/keep/redis-ca/ca.pem&ssl_check_hostname=false"
  sensitive   = true
}
