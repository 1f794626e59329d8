# --- GitHub Actions log in to Vault with their OIDC token: no Vault token stored in GitHub. -----
# .github/workflows/terraform.yml: plans use keep-terraform-plan-<root> (any branch or pull request
# of the repository: read-only identities); applies use keep-terraform-apply-<root>, bound to the
# `main` ref AND the `production` environment (which needs a reviewer's approval).

resource "vault_jwt_auth_backend" "github" {
  path               = var.github_jwt_path
  description        = "GitHub Actions OIDC tokens"
  oidc_discovery_url = "https://token.actions.githubusercontent.com"
  bound_issuer       = "https://token.actions.githubusercontent.com"
}

resource "vault_jwt_auth_backend_role" "plan" {
  for_each   = var.deployers
  backend    = vault_jwt_auth_backend.github.path
  role_name  = "keep-terraform-plan-${each.key}"
  role_type  = "jwt"
  user_claim = "repository"
  # The workflow asks for this audience explicitly (vault-action jwtGithubAudience).
  bound_audiences = [var.github_audience]
  # The numeric id: a repository recreated under the same name gets a new one.
  bound_claims   = { repository_id = var.github_repository_id }
  token_policies = [vault_policy.plan[each.key].name]
  token_ttl      = 900
  token_max_ttl  = 900
}

resource "vault_jwt_auth_backend_role" "apply" {
  for_each        = var.deployers
  backend         = vault_jwt_auth_backend.github.path
  role_name       = "keep-terraform-apply-${each.key}"
  role_type       = "jwt"
  user_claim      = "repository"
  bound_audiences = [var.github_audience]
  # All three must match: the repository, a job of the `production` environment (approval), and
  # the main branch (a pull request that names the environment still has ref refs/pull/N/merge).
  bound_claims = {
    repository_id = var.github_repository_id
    environment   = "production"
    ref           = "refs/heads/main"
  }
  token_policies = [vault_policy.apply[each.key].name]
  token_ttl      = 3600
  token_max_ttl  = 3600
}
