"""Offline checks of what CI runs and what the READMEs promise: the GitHub Actions workflows, the
READMEs' `./pants` commands, and the BUILD files' shape (target names, the `docker` tag)."""
