# --- GitHub Actions log in to Vault with their OIDC token: no Vault token stored in GitHub. -----
# .github/workflows/terraform.yml uses role keep-terraform-plan (any workflow of the repository)
# and keep-terraform-apply (only jobs in the `production` environment, which needs an approval).

resource "vault_jwt_auth_backend" "github" {
  path               = var.github_jwt_path
  description        = "GitHub Actions OIDC tokens"
  oidc_discovery_url = "https://token.actions.githubusercontent.com"
  bound_issuer       = "https://token.actions.githubusercontent.com"
}

resource "vault_jwt_auth_backend_role" "terraform" {
  for_each = {
    plan  = { repository = var.github_repository }
    apply = { sub = "repo:${var.github_repository}:environment:production" }
  }
  backend    = vault_jwt_auth_backend.github.path
  role_name  = "keep-terraform-${each.key}"
  role_type  = "jwt"
  user_claim = "repository"
  # hashicorp/vault-action's default audience: the repository owner's URL.
  bound_audiences = ["https://github.com/${split("/", var.github_repository)[0]}"]
  bound_claims    = each.value
  token_policies  = [for p in vault_policy.deployer : p.name]
  token_ttl       = 900
  token_max_ttl   = 900
}
