# Least-privilege node identity: write logs/metrics, read images from the one repository.
resource "google_service_account" "nodes" {
  project      = var.project_id
  account_id   = "${var.name}-nodes"
  display_name = "GKE nodes of ${var.name}"
}

locals {
  node_roles = [
    "roles/logging.logWriter",
    "roles/monitoring.metricWriter",
    "roles/monitoring.viewer",
    "roles/stackdriver.resourceMetadata.writer",
    "roles/autoscaling.metricsWriter",
  ]
}

resource "google_project_iam_member" "nodes" {
  for_each = toset(local.node_roles)
  project  = var.project_id
  role     = each.value
  member   = "serviceAccount:${google_service_account.nodes.email}"
}

# Image pulls: reader on the repository only (not project-wide), in the shared project.
resource "google_artifact_registry_repository_iam_member" "nodes_pull" {
  project    = var.artifact_registry_project
  location   = var.artifact_registry_location
  repository = var.artifact_registry_repository
  role       = "roles/artifactregistry.reader"
  member     = "serviceAccount:${google_service_account.nodes.email}"
}

resource "google_container_cluster" "this" {
  #checkov:skip=CKV_GCP_66:Binary Authorization needs an attestor pipeline that does not exist yet; images are pinned by content hash tags from our own registry.
  #checkov:skip=CKV_GCP_24:PodSecurityPolicy was removed from Kubernetes in 1.25; Pod Security Admission labels are set on the namespaces instead.
  project  = var.project_id
  name     = var.name
  location = var.region # regional cluster

  network         = var.network_id
  subnetwork      = var.subnetwork_id
  networking_mode = "VPC_NATIVE"

  # The default pool cannot be configured well; manage nodes in google_container_node_pool.
  remove_default_node_pool = true
  initial_node_count       = 1
  deletion_protection      = var.deletion_protection

  ip_allocation_policy {
    cluster_secondary_range_name  = var.pods_range_name
    services_secondary_range_name = var.services_range_name
  }

  private_cluster_config {
    enable_private_nodes    = true
    enable_private_endpoint = false
    master_ipv4_cidr_block  = var.master_ipv4_cidr_block
  }

  master_authorized_networks_config {
    dynamic "cidr_blocks" {
      for_each = var.master_authorized_networks
      content {
        cidr_block   = cidr_blocks.value.cidr_block
        display_name = cidr_blocks.value.display_name
      }
    }
  }

  workload_identity_config {
    workload_pool = "${var.project_id}.svc.id.goog"
  }

  release_channel {
    channel = var.release_channel
  }

  enable_shielded_nodes       = true
  enable_intranode_visibility = true
  enable_legacy_abac          = false

  master_auth {
    client_certificate_config {
      issue_client_certificate = false
    }
  }

  network_policy {
    enabled  = true
    provider = "CALICO"
  }

  addons_config {
    network_policy_config {
      disabled = false
    }
    http_load_balancing {
      disabled = false
    }
  }

  # Google Groups for RBAC only when the organisation has set up its gke-security-groups group.
  dynamic "authenticator_groups_config" {
    for_each = var.rbac_security_group == null ? [] : [var.rbac_security_group]
    content {
      security_group = authenticator_groups_config.value
    }
  }

  logging_service    = "logging.googleapis.com/kubernetes"
  monitoring_service = "monitoring.googleapis.com/kubernetes"

  # GKE Managed Prometheus: collectors in gmp-system scrape the PodMonitorings of
  # deploy/kustomize/components/monitoring-gmp (the nodes' metricWriter role lets them write).
  monitoring_config {
    enable_components = ["SYSTEM_COMPONENTS"]
    managed_prometheus {
      enabled = true
    }
  }

  resource_labels = {
    app = "keep"
    env = var.environment
  }

  # Only used for the throw-away default pool; kept hardened so the cluster never runs an open node.
  node_config {
    service_account = google_service_account.nodes.email
    oauth_scopes    = ["https://www.googleapis.com/auth/cloud-platform"]
    image_type      = "COS_CONTAINERD"

    workload_metadata_config {
      mode = "GKE_METADATA"
    }

    shielded_instance_config {
      enable_secure_boot          = true
      enable_integrity_monitoring = true
    }

    metadata = {
      disable-legacy-endpoints = "true"
    }
  }

  lifecycle {
    ignore_changes = [node_config]
  }
}

resource "google_container_node_pool" "primary" {
  project  = var.project_id
  name     = "${var.name}-primary"
  location = var.region
  cluster  = google_container_cluster.this.name

  initial_node_count = var.min_nodes_per_zone

  autoscaling {
    min_node_count = var.min_nodes_per_zone
    max_node_count = var.max_nodes_per_zone
  }

  management {
    auto_repair  = true
    auto_upgrade = true
  }

  node_config {
    machine_type    = var.machine_type
    image_type      = "COS_CONTAINERD"
    service_account = google_service_account.nodes.email
    # Access is governed by the node service account's IAM roles, not by legacy scopes.
    oauth_scopes = ["https://www.googleapis.com/auth/cloud-platform"]

    workload_metadata_config {
      mode = "GKE_METADATA"
    }

    shielded_instance_config {
      enable_secure_boot          = true
      enable_integrity_monitoring = true
    }

    metadata = {
      disable-legacy-endpoints = "true"
    }

    labels = {
      app = "keep"
      env = var.environment
    }
  }

  lifecycle {
    ignore_changes = [initial_node_count]
  }
}

# Emissary 3.x stores its CRDs as getambassador.io/v2 and converts the v3alpha1 objects Keep
# applies through a conversion webhook served by the emissary-apiext pods on 8443. A private
# cluster's control plane reaches the nodes only on 443 and 10250 (GKE's own firewall rule), so
# without this rule every read or write of an Emissary resource fails ("conversion webhook ...
# failed"). Chosen over an Emissary without the webhook: 3.9 is the release the edge component
# and its schemas target (deploy/README.md). Only the control plane's /28, only to the nodes.
resource "google_compute_firewall" "control_plane_to_webhooks" {
  project     = var.project_id
  name        = "${var.name}-control-plane-to-webhooks"
  network     = var.network_id
  direction   = "INGRESS"
  priority    = 1000
  description = "GKE control plane -> admission/conversion webhooks on the nodes (Emissary apiext)"

  source_ranges           = [var.master_ipv4_cidr_block]
  target_service_accounts = [google_service_account.nodes.email]

  allow {
    protocol = "tcp"
    ports    = var.control_plane_webhook_ports
  }

  log_config {
    metadata = "INCLUDE_ALL_METADATA"
  }
}
