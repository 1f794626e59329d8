module "artifact_registry" {
  source = "../../modules/artifact-registry"

  project_id        = "keep-artifacts"
  location          = "europe-west1"
  repository_id     = "keep"
  github_repository = "keep-dev/keep"
  push_ref          = "refs/heads/main"

  # The env roots bind their node service accounts as readers of this repository.
  repository_admins = [
    "serviceAccount:terraform-dev@keep-dev.iam.gserviceaccount.com",
    "serviceAccount:terraform-prod@keep-prod.iam.gserviceaccount.com",
  ]
}
