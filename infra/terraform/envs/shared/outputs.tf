output "repository_url" {
  value = module.artifact_registry.repository_url
}

output "workload_identity_provider" {
  value = module.artifact_registry.workload_identity_provider
}

output "ci_service_account" {
  value = module.artifact_registry.ci_service_account
}
