# The bucket is created first by `keepctl state-bucket ensure` (chicken-and-egg: Terraform needs
# it for its own state); the bootstrap root adopts it with an `import` block.
resource "google_storage_bucket" "state" {
  #checkov:skip=CKV_GCP_62:Access logs of the state bucket would go to another bucket that itself needs logging; Cloud Audit Logs (data access) cover who read or wrote state.
  project                     = var.project_id
  name                        = var.bucket_name
  location                    = var.location
  storage_class               = "STANDARD"
  force_destroy               = false
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"

  versioning {
    enabled = true
  }

  lifecycle_rule {
    condition {
      num_newer_versions = var.noncurrent_versions_kept
      with_state         = "ARCHIVED"
    }
    action {
      type = "Delete"
    }
  }

  labels = {
    app     = "keep"
    purpose = "terraform-state"
  }

  lifecycle {
    prevent_destroy = true
  }
}

resource "google_service_account" "state" {
  project      = var.project_id
  account_id   = var.state_account_id
  display_name = "Terraform state access (${var.bucket_name} only)"
}

# objectAdmin, but only on objects of the state bucket: the condition limits the grant
# to resource names under that bucket.
resource "google_project_iam_member" "state_object_admin" {
  project = var.project_id
  role    = "roles/storage.objectAdmin"
  member  = "serviceAccount:${google_service_account.state.email}"

  condition {
    title       = "terraform-state-bucket-only"
    description = "Objects of ${var.bucket_name} only"
    expression  = "resource.name.startsWith(\"projects/_/buckets/${google_storage_bucket.state.name}\")"
  }
}

# The gcs backend uses `impersonate_service_account`: deployers mint short-lived tokens for it.
resource "google_service_account_iam_member" "impersonators" {
  for_each           = toset(var.impersonators)
  service_account_id = google_service_account.state.name
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = each.value
}
