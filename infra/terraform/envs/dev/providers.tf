# VAULT_ADDR and VAULT_TOKEN come from the environment (`vault login`).
provider "vault" {}

# A short-lived (<= 1 h) OAuth2 access token for the terraform-dev service account, minted by Vault's
# GCP secrets engine (impersonated account). No key file, no gcloud credentials.
data "vault_generic_secret" "gcp_token" {
  path = "gcp/impersonated-account/terraform-dev/token"
}

provider "google" {
  project      = "keep-dev"
  region       = "europe-west1"
  access_token = data.vault_generic_secret.gcp_token.data["token"]
}
