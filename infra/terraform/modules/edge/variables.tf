variable "project_id" {
  type = string
}

variable "name" {
  description = "Name of the global address, e.g. keep-dev-ip (the Ingress refers to it by name)."
  type        = string
}
