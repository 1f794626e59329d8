locals {
  region        = "europe-west1"
  state_bucket  = "keep-artifacts-tfstate"
  state_project = "keep-artifacts"

  # resource type -> API, apply roles, plan roles (with sources), and what each root creates:
  # the single place deployer permissions come from (deployer_permissions_test.py checks it
  # against the resource types the roots really use).
  permissions = jsondecode(file("${path.module}/deployer_permissions.json"))
  types       = local.permissions.resource_types
  roots       = local.permissions.roots

  apply_roles = {
    for name, r in local.roots : name => sort(distinct(flatten([for t in r.resource_types : local.types[t].apply])))
  }
  plan_roles = {
    for name, r in local.roots : name => sort(distinct(flatten([for t in r.resource_types : local.types[t].plan])))
  }
  # Resources a root creates in another project (dev/prod: their nodes' reader binding on the
  # shared repository). Plans read them with these project roles there; the apply side is granted
  # on the repository alone by the shared root (repository_admins), never project-wide.
  plan_roles_elsewhere = merge([
    for name, r in local.roots : {
      for project, types in r.elsewhere : "${name}/${project}" => {
        root    = name
        project = project
        roles   = sort(distinct(flatten([for t in types : local.types[t].plan])))
      }
    }
  ]...)
}

module "vault" {
  source = "../modules/vault"

  mount_path      = "gcp"
  vault_principal = var.vault_principal
  deployers = {
    for name, r in local.roots : name => {
      project     = r.project
      apply_roles = local.apply_roles[name]
      plan_roles  = local.plan_roles[name]
    }
  }
  plan_roles_elsewhere = local.plan_roles_elsewhere
  state_accounts       = module.state.state_accounts
  github_repository    = var.github_repository
  github_repository_id = var.github_repository_id

  depends_on = [google_project_service.enabled]
}

module "state" {
  source = "../modules/state"

  project_id  = local.state_project
  bucket_name = local.state_bucket
  location    = local.region
  prefixes    = { for name, r in local.roots : name => r.state_prefix }
  plan_readers = {
    for name, email in module.vault.plan_emails : name => "serviceAccount:${email}"
  }

  depends_on = [google_project_service.enabled]
}

# Adopt the bucket that keepctl created.
import {
  to = module.state.google_storage_bucket.state
  id = "keep-artifacts-tfstate"
}
