terraform {
  required_version = ">= 1.6.0, < 2.0.0"

  required_providers {
    google = {
      source  = "hashicorp/google"
      version = ">= 6.50.0, < 7.0.0"
    }
    vault = {
      source  = "hashicorp/vault"
      version = ">= 4.8.0, < 5.0.0"
    }
  }

  # Credentials: GOOGLE_OAUTH_ACCESS_TOKEN of the root's state account for apply
  # (eval "$(keepctl gcp-token --account tfstate-dev --export)"), or of the read-only plan
  # account for plans; each may touch objects under "envs/dev/" only.
  backend "gcs" {
    bucket = "keep-artifacts-tfstate"
    prefix = "envs/dev"
  }
}
