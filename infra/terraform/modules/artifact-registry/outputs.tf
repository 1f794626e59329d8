output "repository_url" {
  description = "Docker prefix, e.g. europe-west1-docker.pkg.dev/keep-artifacts/keep."
  value       = "${var.location}-docker.pkg.dev/${var.project_id}/${google_artifact_registry_repository.docker.repository_id}"
}

output "repository_id" {
  value = google_artifact_registry_repository.docker.repository_id
}

output "workload_identity_provider" {
  description = "Value for google-github-actions/auth `workload_identity_provider`."
  value       = google_iam_workload_identity_pool_provider.github.name
}

output "ci_service_account" {
  description = "Value for google-github-actions/auth `service_account`."
  value       = google_service_account.ci_push.email
}
