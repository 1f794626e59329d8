output "name" {
  value = google_compute_global_address.ingress.name
}

output "address" {
  description = "The IP to put in the DNS A record of the host."
  value       = google_compute_global_address.ingress.address
}
