output "bucket_name" {
  value = google_storage_bucket.state.name
}

output "state_accounts" {
  description = "root => {email, name} of its state account (Vault mints its tokens: tfstate-<root>)."
  value       = { for root, sa in google_service_account.state : root => { email = sa.email, name = sa.name } }
}
