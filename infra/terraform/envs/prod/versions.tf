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

  # Credentials: GOOGLE_OAUTH_ACCESS_TOKEN (eval "$(keepctl gcp-token --account terraform-prod --export)"),
  # then the backend impersonates the state account, whose access is limited to this bucket.
  backend "gcs" {
    bucket                      = "keep-artifacts-tfstate"
    prefix                      = "envs/prod"
    impersonate_service_account = "terraform-state@keep-artifacts.iam.gserviceaccount.com"
  }
}
