resource "google_redis_instance" "this" {
  project            = var.project_id
  region             = var.region
  name               = var.name
  display_name       = "Keep Redis (${var.name})"
  tier               = "STANDARD_HA" # replica in another zone, automatic failover
  memory_size_gb     = var.memory_size_gb
  redis_version      = var.redis_version
  authorized_network = var.network_id
  connect_mode       = "DIRECT_PEERING"
  # Fixed, so the prod overlay's NetworkPolicy can allow egress to exactly this range.
  reserved_ip_range = var.reserved_ip_range

  auth_enabled            = true
  transit_encryption_mode = "SERVER_AUTHENTICATION" # TLS: clients use rediss:// and the server CA

  # RDB snapshots: a failover or maintenance that restarts both nodes would otherwise lose every
  # secret not yet read. Keep stores secrets AES-GCM encrypted (keep/datastorage/crypto.py), so
  # snapshots hold ciphertext only, and Memorystore encrypts them at rest as well.
  persistence_config {
    persistence_mode    = "RDB"
    rdb_snapshot_period = var.rdb_snapshot_period
  }

  redis_configs = {
    maxmemory-policy = "noeviction" # secrets must never be evicted silently
  }

  maintenance_policy {
    weekly_maintenance_window {
      day = "TUESDAY"
      start_time {
        hours   = 3
        minutes = 0
        seconds = 0
        nanos   = 0
      }
    }
  }

  labels = {
    app = "keep"
  }
}
