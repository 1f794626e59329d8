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

# One state account per root. Object names of the gcs backend are <prefix>/<workspace>.tfstate and
# .tflock, so the condition ends the prefix with "/": "envs/dev" alone would also match
# "envs/dev-old/..." (and a bucket-name prefix without "/objects/" matched other buckets).
resource "google_service_account" "state" {
  for_each     = var.prefixes
  project      = var.project_id
  account_id   = "tfstate-${each.key}"
  display_name = "Terraform state of root ${each.key} (${var.bucket_name}/${each.value}/ only)"
}

locals {
  object_prefix = { for root, prefix in var.prefixes : root => "projects/_/buckets/${google_storage_bucket.state.name}/objects/${prefix}/" }
}

resource "google_project_iam_member" "state_object_admin" {
  for_each = var.prefixes
  project  = var.project_id
  role     = "roles/storage.objectAdmin"
  member   = "serviceAccount:${google_service_account.state[each.key].email}"

  condition {
    title       = "tfstate-${each.key}-prefix-only"
    description = "Objects under ${var.bucket_name}/${each.value}/ only"
    expression  = "resource.name.startsWith(\"${local.object_prefix[each.key]}\")"
  }
}

# Plans (read-only identities) read their root's state and nothing else.
resource "google_project_iam_member" "plan_object_viewer" {
  for_each = var.plan_readers
  project  = var.project_id
  role     = "roles/storage.objectViewer"
  member   = each.value

  condition {
    title       = "tfstate-${each.key}-prefix-read"
    description = "Read objects under ${var.bucket_name}/${var.prefixes[each.key]}/ only"
    expression  = "resource.name.startsWith(\"${local.object_prefix[each.key]}\")"
  }
}

# The backend lists the prefix to find workspaces (storage.objects.list is checked on the bucket,
# which the object-name conditions above never match): bucket-level read of object names only.
resource "google_storage_bucket_iam_member" "list" {
  for_each = merge(
    { for root, sa in google_service_account.state : "state/${root}" => "serviceAccount:${sa.email}" },
    { for root, member in var.plan_readers : "plan/${root}" => member },
  )
  bucket = google_storage_bucket.state.name
  role   = "roles/storage.legacyBucketReader"
  member = each.value
}
