output "mount_path" {
  value = vault_gcp_secret_backend.gcp.path
}

output "deployer_emails" {
  description = "name => service account email."
  value       = { for k, sa in google_service_account.deployer : k => sa.email }
}

output "token_paths" {
  description = "name => Vault path that returns an access token."
  value       = { for k, a in vault_gcp_secret_impersonated_account.deployer : k => "${vault_gcp_secret_backend.gcp.path}/impersonated-account/${a.impersonated_account}/token" }
}

output "policies" {
  value = [for p in vault_policy.deployer : p.name]
}
