# Global anycast IPv4 for the GCE Ingress (annotation kubernetes.io/ingress.global-static-ip-name).
resource "google_compute_global_address" "ingress" {
  project      = var.project_id
  name         = var.name
  address_type = "EXTERNAL"
  ip_version   = "IPV4"
  description  = "Keep ingress (${var.name})"
}
