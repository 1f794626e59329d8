"""keepctl: small operations CLI for Keep (Vault-issued GCP tokens, state bucket, rollouts)."""
