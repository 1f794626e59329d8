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

  # The bucket exists before this root runs (keepctl state-bucket ensure).
  backend "gcs" {
    bucket = "keep-artifacts-tfstate"
    prefix = "bootstrap"
  }
}
