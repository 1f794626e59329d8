#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Build the project's base images from Debian bookworm packages (no registry needed).
#
#   build-support/images/build-base-images.sh                 # all images, skip existing tags
#   build-support/images/build-base-images.sh redis           # one image
#   build-support/images/build-base-images.sh --force python-base
#   build-support/images/build-base-images.sh --list          # recipe -> tag
#   build-support/images/build-base-images.sh --tag python-base   # print the tag (for scripts)
#
# Recipes live in build-support/images/recipes/<name>.sh; see lib.sh for the format and for
# the tag-versioning rule (bump -rN; a recipe hash label catches forgotten bumps).
# Needs root, debootstrap and a running dockerd (build-support/docker/ensure-docker.sh).
set -euo pipefail
# shellcheck source=../lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
export KEEP_LOG_PREFIX=base-images

usage() { sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }

force=0 mode=build names=()
while [ $# -gt 0 ]; do
  case "$1" in
    --force) force=1 ;;
    --list) mode=list ;;
    --tag) mode=tag ;;
    -h|--help) usage 0 ;;
    -*) log "unknown option $1"; usage 2 ;;
    *) names+=("$1") ;;
  esac
  shift
done
if [ "${#names[@]}" -eq 0 ]; then
  for f in "$IMAGES_DIR"/recipes/*.sh; do names+=("$(basename "$f" .sh)"); done
fi

for name in "${names[@]}"; do
  recipe="$IMAGES_DIR/recipes/$name.sh"
  [ -f "$recipe" ] || die "no recipe $recipe"
  case "$mode" in
    list|tag)
      # shellcheck source=/dev/null
      tag=$(IMAGE_TAG="" && . "$recipe" && echo "$IMAGE_TAG")
      if [ "$mode" = tag ]; then echo "$tag"; else printf '%-12s %s\n' "$name" "$tag"; fi ;;
    build)
      require_root
      command -v debootstrap >/dev/null || die "debootstrap missing: run build-support/docker/ensure-docker.sh"
      docker info >/dev/null 2>&1 || die "dockerd not answering: run build-support/docker/ensure-docker.sh"
      # Serialize builds on this machine (shared by several engineers; 2 cores).
      exec 8>/run/lock/keep-base-images.lock
      flock -w 1800 8 || die "another base-image build holds /run/lock/keep-base-images.lock"
      build_image "$recipe" "$force"
      ;;
  esac
done
