resource "google_artifact_registry_repository" "docker" {
  #checkov:skip=CKV_GCP_84:Images hold no secrets; Google-managed encryption is accepted, a CMEK key ring would add a KMS dependency to every pull.
  project                = var.project_id
  location               = var.location
  repository_id          = var.repository_id
  format                 = "DOCKER"
  description            = "Keep service images (dev tags are promoted to prod unchanged)"
  cleanup_policy_dry_run = false

  docker_config {
    immutable_tags = true
  }

  cleanup_policies {
    id     = "keep-recent"
    action = "KEEP"
    most_recent_versions {
      keep_count = var.keep_recent_versions
    }
  }

  # What prod runs (and ran) is never deleted: `keep-release promote` adds the tag
  # "<promotion_tag_prefix><tag>" to every image it promotes (a new tag on the same digest; tags
  # are immutable, so markers are never moved). Artifact Registry keeps a version that matches any
  # KEEP policy even when a DELETE policy matches too, whatever the order, so the 90-day rule below
  # cannot reach a promoted image however old it is or however many newer versions exist.
  cleanup_policies {
    id     = "keep-promoted"
    action = "KEEP"
    condition {
      tag_state    = "TAGGED"
      tag_prefixes = [var.promotion_tag_prefix]
    }
  }

  cleanup_policies {
    id     = "delete-untagged"
    action = "DELETE"
    condition {
      tag_state  = "UNTAGGED"
      older_than = var.untagged_max_age
    }
  }

  cleanup_policies {
    id     = "delete-old-tagged"
    action = "DELETE"
    condition {
      tag_state  = "TAGGED"
      older_than = var.tagged_max_age
    }
  }

  labels = {
    app = "keep"
  }
}

# --- CI push through Workload Identity Federation (no JSON key) -----------------------------

resource "google_iam_workload_identity_pool" "github" {
  project                   = var.project_id
  workload_identity_pool_id = "github"
  display_name              = "GitHub Actions"
}

resource "google_iam_workload_identity_pool_provider" "github" {
  #checkov:skip=CKV_GCP_125:False positive: checkov does not resolve the variables inside the module; the condition pins assertion.repository_id, assertion.repository and assertion.sub to repo:keep-dev/keep:ref:refs/heads/main (asserted by terraform_static_test.py).
  project                            = var.project_id
  workload_identity_pool_id          = google_iam_workload_identity_pool.github.workload_identity_pool_id
  workload_identity_pool_provider_id = "github-actions"
  display_name                       = "GitHub Actions OIDC"

  attribute_mapping = {
    "google.subject"          = "assertion.sub"
    "attribute.repository"    = "assertion.repository"
    "attribute.repository_id" = "assertion.repository_id"
    "attribute.ref"           = "assertion.ref"
    "attribute.actor"         = "assertion.actor"
  }

  # Only tokens minted for workflows of this one repository on the push ref are accepted at all
  # (sub = repo:<owner>/<name>:ref:<ref>; pull requests and forks get no token). The numeric id
  # is pinned too: a name can be taken over after a rename or deletion, an id cannot.
  attribute_condition = "assertion.repository_id == '${var.github_repository_id}' && assertion.repository == '${var.github_repository}' && assertion.sub == 'repo:${var.github_repository}:ref:${var.push_ref}'"

  oidc {
    issuer_uri = "https://token.actions.githubusercontent.com"
  }
}

resource "google_service_account" "ci_push" {
  project      = var.project_id
  account_id   = "keep-ci-push"
  display_name = "GitHub Actions image push (${var.github_repository})"
}

resource "google_service_account_iam_member" "ci_push_wif" {
  service_account_id = google_service_account.ci_push.name
  role               = "roles/iam.workloadIdentityUser"
  member             = "principalSet://iam.googleapis.com/${google_iam_workload_identity_pool.github.name}/attribute.repository_id/${var.github_repository_id}"
}

resource "google_artifact_registry_repository_iam_member" "ci_push_writer" {
  project    = var.project_id
  location   = var.location
  repository = google_artifact_registry_repository.docker.repository_id
  role       = "roles/artifactregistry.writer"
  member     = "serviceAccount:${google_service_account.ci_push.email}"
}

resource "google_artifact_registry_repository_iam_member" "admins" {
  for_each   = toset(var.repository_admins)
  project    = var.project_id
  location   = var.location
  repository = google_artifact_registry_repository.docker.repository_id
  role       = "roles/artifactregistry.admin"
  member     = each.value
}
