output "mount_path" {
  value = vault_gcp_secret_backend.gcp.path
}

output "deployer_emails" {
  description = "root => apply service account email."
  value       = { for k, sa in google_service_account.apply : k => sa.email }
}

output "plan_emails" {
  description = "root => read-only plan service account email."
  value       = { for k, sa in google_service_account.plan : k => sa.email }
}

output "token_paths" {
  description = "account => Vault path that returns an access token."
  value       = { for k, a in vault_gcp_secret_impersonated_account.account : k => "${vault_gcp_secret_backend.gcp.path}/impersonated-account/${a.impersonated_account}/token" }
}

output "policies" {
  value = concat([for p in vault_policy.plan : p.name], [for p in vault_policy.apply : p.name])
}
