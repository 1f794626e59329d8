"""Offline checks and reports for Keep's deployment trees (deploy/kustomize, argocd)."""
