variable "vault_principal" {
  description = "IAM member that Vault's GCP engine authenticates as, e.g. serviceAccount:vault@keep-artifacts.iam.gserviceaccount.com (or user:you@example.com for a local `vault server -dev` using your ADC)."
  type        = string
}
