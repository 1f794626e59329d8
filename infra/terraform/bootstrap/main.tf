locals {
  region       = "europe-west1"
  state_bucket = "keep-artifacts-tfstate"

  env_roles = [
    "roles/container.admin",
    "roles/compute.networkAdmin",
    "roles/iam.serviceAccountAdmin",
    "roles/iam.serviceAccountUser",
    "roles/resourcemanager.projectIamAdmin",
  ]

  deployers = {
    terraform-shared = {
      project = "keep-artifacts"
      roles = [
        "roles/artifactregistry.admin",
        "roles/iam.workloadIdentityPoolAdmin",
        "roles/iam.serviceAccountAdmin",
      ]
    }
    terraform-dev = {
      project = "keep-dev"
      roles   = local.env_roles
    }
    terraform-prod = {
      project = "keep-prod"
      roles   = concat(local.env_roles, ["roles/redis.admin"])
    }
  }
}

module "vault" {
  source = "../modules/vault"

  mount_path      = "gcp"
  vault_principal = var.vault_principal
  deployers       = local.deployers
}

module "state" {
  source = "../modules/state"

  project_id    = "keep-artifacts"
  bucket_name   = local.state_bucket
  location      = local.region
  impersonators = [for email in values(module.vault.deployer_emails) : "serviceAccount:${email}"]
}

# Adopt the bucket that keepctl created.
import {
  to = module.state.google_storage_bucket.state
  id = "keep-artifacts-tfstate"
}
