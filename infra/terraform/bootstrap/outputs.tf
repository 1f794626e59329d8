output "token_paths" {
  value = module.vault.token_paths
}

output "deployer_emails" {
  value = module.vault.deployer_emails
}

output "state_accounts" {
  value = module.state.state_accounts
}

output "enabled_apis" {
  value = local.apis
}
