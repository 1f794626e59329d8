# Every API the roots need, enabled here by a person: the deployers cannot enable APIs
# (serviceusage.services.enable is in none of their roles, on purpose). The list is derived from
# deployer_permissions.json: the API of each resource type a root creates in its project, plus
# the APIs every project or the state project needs (with their reasons in that file).
locals {
  projects = distinct(concat([local.state_project], [for r in values(local.roots) : r.project]))
  apis = {
    for project in local.projects : project => sort(distinct(concat(
      keys(local.permissions.apis_for_every_project),
      project == local.state_project ? keys(local.permissions.apis_for_state_project) : [],
      flatten([
        for r in values(local.roots) : [for t in r.resource_types : local.types[t].api] if r.project == project
      ]),
    )))
  }
}

resource "google_project_service" "enabled" {
  for_each = toset(flatten([for project, apis in local.apis : [for api in apis : "${project}/${api}"]]))

  project = split("/", each.key)[0]
  service = split("/", each.key)[1]
  # Disabling an API on destroy would break whatever else in the project uses it.
  disable_on_destroy = false
}
