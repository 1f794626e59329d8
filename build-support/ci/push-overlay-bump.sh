#!/usr/bin/env bash
# Commit what `keep-release bump` changed under PATH and push it to BRANCH, without re-triggering
# the release workflow. Exits 0 without a commit when PATH did not change.
#
#   build-support/ci/push-overlay-bump.sh PATH MESSAGE
#
# Environment: KEEP_PUSH_BRANCH (default $GITHUB_REF_NAME, else main), KEEP_PUSH_REMOTE (origin),
# GITHUB_TOKEN (if set: used for the push, so the checkout needs no persisted credentials).
# Why the commit does not loop: pushes made with the workflow's GITHUB_TOKEN start no workflow
# runs, release.yml ignores deploy/kustomize/overlays/** (paths-ignore) and the message carries
# [skip ci] for any other automation.
set -euo pipefail

[ "$#" -eq 2 ] || { echo "usage: $0 PATH MESSAGE" >&2; exit 2; }
path=$1
message=$2
branch=${KEEP_PUSH_BRANCH:-${GITHUB_REF_NAME:-main}}
remote=${KEEP_PUSH_REMOTE:-origin}

git_() {
  local auth=()
  if [ -n "${GITHUB_TOKEN:-}" ]; then
    auth=(-c "http.https://github.com/.extraheader=AUTHORIZATION: basic $(printf 'x-access-token:%s' "${GITHUB_TOKEN}" | base64 -w0)")
  fi
  git -c user.name="github-actions[bot]" \
    -c user.email="41898282+github-actions[bot]@users.noreply.github.com" "${auth[@]}" "$@"
}

if [ -z "$(git status --porcelain -- "${path}")" ]; then
  echo "${path}: nothing changed, nothing to push"
  exit 0
fi
git_ add -- "${path}"
git_ commit -q -m "${message}" -- "${path}"
for attempt in 1 2 3; do
  if git_ push -q "${remote}" "HEAD:refs/heads/${branch}"; then
    echo "pushed $(git rev-parse --short HEAD) to ${remote}/${branch}"
    exit 0
  fi
  echo "push rejected (attempt ${attempt}): rebasing onto ${remote}/${branch}" >&2
  git_ pull -q --rebase "${remote}" "${branch}"
done
echo "could not push to ${remote}/${branch}" >&2
exit 1
