output "bucket_name" {
  value = google_storage_bucket.state.name
}

output "state_service_account" {
  description = "Email to put in the backends' impersonate_service_account."
  value       = google_service_account.state.email
}
