"""Release tooling: build and publish only the images whose content changed, then bump overlays.

Modules:
  changes     which files changed since a git ref, and whether a change invalidates every image
  pants       the few Pants invocations we need (list changed images, package them)
  docker_info the `dist/**/<name>.docker-info.json` files `pants package` writes
  registry    "is this tag already in the registry?" and `docker push`
  publish     the orchestration: changed images -> package -> push only missing tags
  kustomize   rewrite `images:` newTag entries of a kustomize overlay (bump, promote)
  cli         `./pants run src/python/keep/release:cli -- <publish|bump|promote|push-base|changed>`
  commands    what each of cli's subcommands does
  errors      its exit codes (ExitCode) and the error that carries one (ReleaseError)
"""
