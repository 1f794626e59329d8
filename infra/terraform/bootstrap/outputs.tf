output "token_paths" {
  value = module.vault.token_paths
}

output "deployer_emails" {
  value = module.vault.deployer_emails
}

output "state_service_account" {
  value = module.state.state_service_account
}
