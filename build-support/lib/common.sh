# shellcheck shell=bash
# Shared helpers for build-support scripts. Source it; do not execute it.
#   . "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"

log()  { printf '[%s] %s\n' "${KEEP_LOG_PREFIX:-keep}" "$*" >&2; }
die()  { log "ERROR: $*"; exit 1; }

require_root() {
  [ "$(id -u)" -eq 0 ] || die "must run as root (CI and the build machines run as root)"
}

# apt_install PKG...: install the Debian packages that are not installed yet.
# Runs `apt-get update` only when something is missing and the install fails without it.
apt_install() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  log "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # dpkg takes a lock; wait for it instead of failing when another engineer runs apt at the same time.
  if ! apt-get -o DPkg::Lock::Timeout=300 install -y --no-install-recommends "${missing[@]}"; then
    apt-get -o DPkg::Lock::Timeout=300 update
    apt-get -o DPkg::Lock::Timeout=300 install -y --no-install-recommends "${missing[@]}"
  fi
}

# debian_mirror: the first Debian archive URI configured for apt (deb822 or one-line format),
# falling back to deb.debian.org. KEEP_DEBIAN_MIRROR overrides.
debian_mirror() {
  if [ -n "${KEEP_DEBIAN_MIRROR:-}" ]; then echo "$KEEP_DEBIAN_MIRROR"; return; fi
  local uri=""
  if [ -r /etc/apt/sources.list.d/debian.sources ]; then
    uri=$(awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i !~ /security/) { print $i; exit } }' \
      /etc/apt/sources.list.d/debian.sources)
  fi
  if [ -z "$uri" ] && [ -r /etc/apt/sources.list ]; then
    uri=$(awk '$1 == "deb" && $0 !~ /security/ { for (i = 2; i <= NF; i++) if ($i ~ /^(https?|file):/) { print $i; exit } }' \
      /etc/apt/sources.list)
  fi
  echo "${uri:-http://deb.debian.org/debian}"
}

# wait_until TIMEOUT_SECONDS DESCRIPTION CMD...: poll CMD every 0.5 s until it succeeds.
wait_until() {
  local timeout=$1 what=$2 deadline
  shift 2
  deadline=$(( $(date +%s) + timeout ))
  until "$@" >/dev/null 2>&1; do
    if [ "$(date +%s)" -ge "$deadline" ]; then
      log "timed out after ${timeout}s waiting for ${what}"
      return 1
    fi
    sleep 0.5
  done
}
