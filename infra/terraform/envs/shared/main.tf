module "artifact_registry" {
  source = "../../modules/artifact-registry"

  project_id           = "keep-artifacts"
  location             = "europe-west1"
  repository_id        = "keep"
  github_repository    = "keep-dev/keep"
  github_repository_id = var.github_repository_id
  push_ref             = "refs/heads/main"

  # The env roots bind their node service accounts as readers of this repository: their apply
  # accounts administer this one repository's IAM (bootstrap/deployer_permissions.json, "elsewhere").
  repository_admins = [
    "serviceAccount:terraform-dev@keep-dev.iam.gserviceaccount.com",
    "serviceAccount:terraform-prod@keep-prod.iam.gserviceaccount.com",
  ]
}
