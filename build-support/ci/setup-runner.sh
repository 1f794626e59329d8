#!/usr/bin/env bash
# Makes a machine able to build and test Keep: a bare Debian 12 machine (.ci/run) or a GitHub-hosted
# Ubuntu runner (ci.yml). Installs the Debian packages the build needs, starts dockerd, builds the
# base images and starts the local OCI registry. Runs as root or with sudo. Idempotent.
#
#   build-support/ci/setup-runner.sh [IMAGE...]     # IMAGE: base-image recipe names (default: all)
#   build-support/ci/setup-runner.sh --packages-only # just what ./pants needs (no docker, images)
#   KEEP_SETUP_REGISTRY=0 ...                        # skip the local registry (release jobs)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

sudo=()
[ "$(id -u)" -eq 0 ] || sudo=(sudo --preserve-env=KEEP_DEBIAN_MIRROR --preserve-env=KEEP_SKIP_APT)

step() { printf '\n=== %s (%s)\n' "$*" "$(date -u +%H:%M:%S)"; }

step "Packages"
# debootstrap + debian-archive-keyring: the base images; docker-registry: the local registry.
# ./pants itself needs no Debian package (its tools come from PyPI wheels). Docker itself is
# preinstalled on GitHub's runners (Docker CE): installing Debian's docker.io next to it would
# conflict, hence KEEP_SKIP_APT.
# prometheus (with promtool) and prometheus-redis-exporter: the alert rule tests and the real-scrape
# test (keep.monitoring), and `devstack --observe`; their own system services are not used.
packages=(debootstrap debian-archive-keyring docker-registry git curl
  prometheus prometheus-redis-exporter)
# chromium: the gateway's browser test. Debian's package; Ubuntu's is a snap stub, and its runners
# ship Google Chrome instead.
if grep -qs '^ID=debian$' /etc/os-release; then
  packages+=(chromium)
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "${p}" 2>/dev/null | grep -q "ok installed" || missing+=("${p}")
done
if ((${#missing[@]})); then
  "${sudo[@]}" apt-get -o DPkg::Lock::Timeout=300 update -q
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 \
    install -y -q --no-install-recommends "${missing[@]}"
fi
command -v terraform >/dev/null || { echo "terraform is required on PATH (./pants zips it)" >&2; exit 1; }
if [ "${1:-}" = --packages-only ]; then
  exit 0
fi

step "Docker engine"
# GitHub's runners come with Docker CE: installing Debian's docker.io beside it would conflict.
if command -v dockerd >/dev/null; then
  export KEEP_SKIP_APT=1
fi
"${sudo[@]}" build-support/docker/ensure-docker.sh

step "Base images"
# On a non-Debian host (Ubuntu runners) debootstrap bookworm from Debian's own mirror.
if ! grep -qs '^ID=debian$' /etc/os-release; then
  export KEEP_DEBIAN_MIRROR="${KEEP_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
fi
"${sudo[@]}" build-support/images/build-base-images.sh "$@"

if [ "${KEEP_SETUP_REGISTRY:-1}" != 0 ]; then
  step "Local OCI registry"
  build-support/registry/ensure-registry.sh start
fi
