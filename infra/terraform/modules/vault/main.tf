# --- GCP side: one deployer service account per root, no keys; only Vault may mint tokens. ----

resource "google_service_account" "deployer" {
  for_each     = var.deployers
  project      = each.value.project
  account_id   = each.key
  display_name = "Terraform deployer ${each.key} (tokens via Vault only)"
}

locals {
  deployer_roles = merge([
    for name, d in var.deployers : {
      for role in d.roles : "${name}/${role}" => { name = name, project = d.project, role = role }
    }
  ]...)
}

resource "google_project_iam_member" "deployer" {
  for_each = local.deployer_roles
  project  = each.value.project
  role     = each.value.role
  member   = "serviceAccount:${google_service_account.deployer[each.value.name].email}"
}

resource "google_service_account_iam_member" "vault_token_creator" {
  for_each           = var.deployers
  service_account_id = google_service_account.deployer[each.key].name
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = var.vault_principal
}

# --- Vault side --------------------------------------------------------------------------------

# No `credentials`: the engine uses Vault's own Application Default Credentials
# (Workload Identity on GKE/GCE, `gcloud auth application-default login` locally), so no JSON key.
resource "vault_gcp_secret_backend" "gcp" {
  path                      = var.mount_path
  description               = "Short-lived GCP access tokens for Terraform and operators"
  default_lease_ttl_seconds = var.token_ttl_seconds
  max_lease_ttl_seconds     = var.token_ttl_seconds
}

# Impersonated accounts issue OAuth2 access tokens through the IAM Credentials API:
# GET <mount>/impersonated-account/<name>/token
resource "vault_gcp_secret_impersonated_account" "deployer" {
  for_each              = var.deployers
  backend               = vault_gcp_secret_backend.gcp.path
  impersonated_account  = each.key
  service_account_email = google_service_account.deployer[each.key].email
  token_scopes          = ["https://www.googleapis.com/auth/cloud-platform"]

  depends_on = [google_service_account_iam_member.vault_token_creator]
}

resource "vault_policy" "deployer" {
  for_each = var.deployers
  name     = "gcp-${each.key}"
  policy   = <<-EOT
    path "${vault_gcp_secret_backend.gcp.path}/impersonated-account/${each.key}/token" {
      capabilities = ["read"]
    }
  EOT
}
