# --- GCP side: per root an apply and a read-only plan account, no keys; only Vault mints tokens.

resource "google_service_account" "apply" {
  for_each     = var.deployers
  project      = each.value.project
  account_id   = "terraform-${each.key}"
  display_name = "Terraform apply, root ${each.key} (tokens via Vault only)"
}

resource "google_service_account" "plan" {
  for_each     = var.deployers
  project      = each.value.project
  account_id   = "terraform-${each.key}-plan"
  display_name = "Terraform plan, root ${each.key}: read-only (tokens via Vault only)"
}

locals {
  apply_grants = merge([
    for name, d in var.deployers : {
      for role in d.apply_roles : "${name}/${role}" => { name = name, project = d.project, role = role }
    }
  ]...)
  plan_grants = merge(
    merge([
      for name, d in var.deployers : {
        for role in d.plan_roles : "${name}/${d.project}/${role}" => { name = name, project = d.project, role = role }
      }
    ]...),
    merge([
      for key, e in var.plan_roles_elsewhere : {
        for role in e.roles : "${e.root}/${e.project}/${role}" => { name = e.root, project = e.project, role = role }
      }
    ]...),
  )

  # Every account Vault may mint tokens for: name -> {email, name (projects/P/serviceAccounts/E)}.
  accounts = merge(
    { for root, sa in google_service_account.apply : "terraform-${root}" => { email = sa.email, name = sa.name } },
    { for root, sa in google_service_account.plan : "terraform-${root}-plan" => { email = sa.email, name = sa.name } },
    { for root, sa in var.state_accounts : "tfstate-${root}" => sa },
  )
}

resource "google_project_iam_member" "apply" {
  for_each = local.apply_grants
  project  = each.value.project
  role     = each.value.role
  member   = "serviceAccount:${google_service_account.apply[each.value.name].email}"
}

resource "google_project_iam_member" "plan" {
  for_each = local.plan_grants
  project  = each.value.project
  role     = each.value.role
  member   = "serviceAccount:${google_service_account.plan[each.value.name].email}"
}

resource "google_service_account_iam_member" "vault_token_creator" {
  for_each           = local.accounts
  service_account_id = each.value.name
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
resource "vault_gcp_secret_impersonated_account" "account" {
  for_each              = local.accounts
  backend               = vault_gcp_secret_backend.gcp.path
  impersonated_account  = each.key
  service_account_email = each.value.email
  token_scopes          = ["https://www.googleapis.com/auth/cloud-platform"]

  depends_on = [google_service_account_iam_member.vault_token_creator]
}

# Plans read the root's read-only account only (its token also reads the root's state).
resource "vault_policy" "plan" {
  for_each = var.deployers
  name     = "terraform-${each.key}-plan"
  policy   = <<-EOT
    path "${vault_gcp_secret_backend.gcp.path}/impersonated-account/terraform-${each.key}-plan/token" {
      capabilities = ["read"]
    }
  EOT
}

# Applies read the root's deployer and the root's state account.
resource "vault_policy" "apply" {
  for_each = var.deployers
  name     = "terraform-${each.key}-apply"
  policy   = <<-EOT
    path "${vault_gcp_secret_backend.gcp.path}/impersonated-account/terraform-${each.key}/token" {
      capabilities = ["read"]
    }
    path "${vault_gcp_secret_backend.gcp.path}/impersonated-account/tfstate-${each.key}/token" {
      capabilities = ["read"]
    }
  EOT
}
