#!/usr/bin/env bash
# Move the tag that marks the last commit whose release finished (images published, dev overlay
# bumped) to SHA. release.yml's next run diffs from this tag, not from the push's `before`: a
# cancelled or failed run leaves the tag where it was, so its changes are published by the next
# run instead of never.
#
#   build-support/ci/push-release-tag.sh SHA
#
# Never moves the tag backwards (a SHA the tag already contains is a no-op). Environment:
# KEEP_RELEASE_TAG (default released/main), KEEP_PUSH_REMOTE (origin), GITHUB_TOKEN (if set: used
# for the push, so the checkout needs no persisted credentials).
set -euo pipefail

[ "$#" -eq 1 ] || { echo "usage: $0 SHA" >&2; exit 2; }
sha=$(git rev-parse --verify "$1^{commit}")
tag=${KEEP_RELEASE_TAG:-released/main}
remote=${KEEP_PUSH_REMOTE:-origin}

git_() {
  local auth=()
  if [ -n "${GITHUB_TOKEN:-}" ]; then
    auth=(-c "http.https://github.com/.extraheader=AUTHORIZATION: basic $(printf 'x-access-token:%s' "${GITHUB_TOKEN}" | base64 -w0)")
  fi
  git "${auth[@]}" "$@"
}

current=$(git_ ls-remote "${remote}" "refs/tags/${tag}" | cut -f1)
if [ -n "${current}" ]; then
  git_ fetch -q "${remote}" "+refs/tags/${tag}:refs/tags/${tag}"
  if git merge-base --is-ancestor "${sha}" "${current}"; then
    echo "${tag} is already at ${current:0:12}, which contains ${sha:0:12}: not moved"
    exit 0
  fi
fi
git_ push -q --force "${remote}" "${sha}:refs/tags/${tag}"
echo "${tag}: ${current:0:12}${current:+ -> }${sha:0:12}"
