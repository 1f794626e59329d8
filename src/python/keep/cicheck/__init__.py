"""Offline validation of the GitHub Actions workflows in .github/workflows."""
