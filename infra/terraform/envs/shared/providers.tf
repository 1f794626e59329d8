# VAULT_ADDR and VAULT_TOKEN come from the environment (`vault login`, or the workflow's JWT login).
# skip_child_token: by default the provider creates a child token (auth/token/create) for each
# run, which the terraform-* policies deliberately do not allow; the login token is already
# short-lived (JWT role TTL) and scoped to this root, so the provider uses it as it is.
provider "vault" {
  skip_child_token = true
}

# A short-lived (<= 1 h) OAuth2 access token for this root's deployer service account, minted by
# Vault's GCP secrets engine (impersonated account). No key file, no gcloud credentials.
data "vault_generic_secret" "gcp_token" {
  path = "gcp/impersonated-account/${var.deployer_account}/token"
}

provider "google" {
  project      = "keep-artifacts"
  region       = "europe-west1"
  access_token = data.vault_generic_secret.gcp_token.data["token"]
}
