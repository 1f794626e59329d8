#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Make sure a Docker daemon answers on this (root-only) machine.
#
#   build-support/docker/ensure-docker.sh          # install if needed, start if needed, wait
#   build-support/docker/ensure-docker.sh status   # exit 0 iff `docker info` answers
#
# Idempotent: safe to run twice, concurrently, or when dockerd is already up (ours or someone
# else's). Installs Debian's docker.io (plus debootstrap and docker-registry, which the other
# build-support scripts need) with apt-get when absent. Only Debian's apt mirror is needed.
#
# Environment:
#   DOCKERD_LOG            dockerd log file            (default /var/log/keep-dockerd.log)
#   DOCKERD_START_TIMEOUT  seconds to wait for dockerd (default 60)
#   KEEP_SKIP_APT=1        never call apt-get (fail if docker is missing)
set -euo pipefail
# shellcheck source=../lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
export KEEP_LOG_PREFIX=ensure-docker

DOCKERD_LOG=${DOCKERD_LOG:-/var/log/keep-dockerd.log}
DOCKERD_START_TIMEOUT=${DOCKERD_START_TIMEOUT:-60}
LOCK_FILE=/run/lock/keep-ensure-docker.lock

docker_answers() { docker info >/dev/null 2>&1; }

if [ "${1:-}" = "status" ]; then
  docker_answers && { log "dockerd is up"; exit 0; }
  log "dockerd is not answering"; exit 1
fi
[ $# -eq 0 ] || die "usage: $0 [status]"

# Fast path: nothing to do (no root needed either).
if command -v dockerd >/dev/null 2>&1 && command -v debootstrap >/dev/null 2>&1 \
   && command -v docker-registry >/dev/null 2>&1 && docker_answers; then
  log "dockerd already up ($(docker info --format '{{.ServerVersion}} / {{.Driver}}'))"
  exit 0
fi

require_root
mkdir -p "$(dirname "$LOCK_FILE")"
exec 9>"$LOCK_FILE"
flock -w 600 9 || die "could not take $LOCK_FILE within 600s"

if [ "${KEEP_SKIP_APT:-0}" != 1 ]; then
  # docker.io pulls containerd, runc, iptables, tini; debootstrap/docker-registry for the base
  # image and local registry scripts.
  apt_install docker.io debootstrap docker-registry ca-certificates iptables
fi
command -v dockerd >/dev/null 2>&1 || die "dockerd not found (install Debian's docker.io)"
# A docker CLI may also be in /usr/local/bin (e.g. CLI 28); Debian's is /usr/bin/docker. Either works.
command -v docker >/dev/null 2>&1 || die "docker CLI not found"

if docker_answers; then
  log "dockerd already up ($(docker info --format '{{.ServerVersion}} / {{.Driver}}'))"
  exit 0
fi

# A dockerd process that is still starting (or wedged): wait for it rather than starting a second.
if pid=$(pgrep -x dockerd | head -n1) && [ -n "$pid" ]; then
  log "dockerd (pid $pid) is running but not answering yet; waiting up to ${DOCKERD_START_TIMEOUT}s"
  wait_until "$DOCKERD_START_TIMEOUT" "dockerd pid $pid to answer" docker info \
    || die "dockerd pid $pid does not answer; see ${DOCKERD_LOG} / stop it and rerun"
  log "dockerd up"; exit 0
fi

# Stale pid file from a killed daemon blocks start-up.
if [ -f /var/run/docker.pid ] && ! kill -0 "$(cat /var/run/docker.pid)" 2>/dev/null; then
  rm -f /var/run/docker.pid
fi

mkdir -p "$(dirname "$DOCKERD_LOG")"
log "starting dockerd (storage driver overlay2, log ${DOCKERD_LOG})"
# setsid: detach from our process group so CI step teardown / Ctrl-C of this script does not kill it.
setsid dockerd --storage-driver=overlay2 >>"$DOCKERD_LOG" 2>&1 < /dev/null &
dockerd_pid=$!

deadline=$(( $(date +%s) + DOCKERD_START_TIMEOUT ))
until docker_answers; do
  if ! kill -0 "$dockerd_pid" 2>/dev/null; then
    tail -n 30 "$DOCKERD_LOG" >&2 || true
    die "dockerd exited during start-up; log: ${DOCKERD_LOG}"
  fi
  if [ "$(date +%s)" -ge "$deadline" ]; then
    tail -n 30 "$DOCKERD_LOG" >&2 || true
    die "dockerd (pid ${dockerd_pid}) did not answer \`docker info\` within ${DOCKERD_START_TIMEOUT}s; log: ${DOCKERD_LOG}"
  fi
  sleep 0.5
done
log "dockerd up (pid ${dockerd_pid}, $(docker info --format '{{.ServerVersion}} / {{.Driver}}'))"
