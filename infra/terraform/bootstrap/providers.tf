# This is the only root that runs with a person's credentials: `gcloud auth
# application-default login` as a project owner/admin, and a Vault token with rights on sys/mounts
# and sys/policies (VAULT_ADDR, VAULT_TOKEN). Every other root gets its Google token from Vault.
provider "google" {
  region = "europe-west1"
}

provider "vault" {}
