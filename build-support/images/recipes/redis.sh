# shellcheck shell=bash
# keep/redis: Debian bookworm redis-server 7.0, running as user redis (uid/gid 999, like the
# official image), data in /data. Entrypoint behaves like the official image's: `redis-server ...`
# or just `--flag ...` gets the defaults file /etc/redis/keep.conf (bind 0.0.0.0, protected-mode
# no, dir /data, no persistence to stdout logging) followed by the given flags, so testcontainers'
# RedisContainer (`redis-server [--requirepass x]`) works. Bump -rN when this recipe changes.
# shellcheck disable=SC2034  # variables are read by lib.sh
IMAGE_TAG=keep/redis:7.0-bookworm-r1
IMAGE_PACKAGES=(redis-server)
REDIS_UID=999
IMAGE_CHANGES=(
  "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
  "ENV LANG=C.UTF-8"
  "WORKDIR /data"
  "VOLUME /data"
  "EXPOSE 6379"
  "USER ${REDIS_UID}:${REDIS_UID}"
  'ENTRYPOINT ["/usr/local/bin/keep-redis-entrypoint"]'
  'CMD ["redis-server"]'
)

recipe_pre_install() {
  # Fixed uid/gid before the package's postinst runs `adduser --system redis`, which reuses it.
  add_user "$1" redis "$REDIS_UID" /var/lib/redis
}

recipe_post_install() {
  local r=$1
  mkdir -p "$r/data"
  chown "$REDIS_UID:$REDIS_UID" "$r/data"
  chmod 750 "$r/data"
  cat >"$r/etc/redis/keep.conf" <<'CONF'
# keep/redis defaults (container): flags given on the command line override these.
bind 0.0.0.0
protected-mode no
port 6379
dir /data
daemonize no
supervised no
logfile ""
# Persistence is the deployment's decision (StatefulSet passes --appendonly yes etc.).
save ""
appendonly no
CONF
  chmod 644 "$r/etc/redis/keep.conf"
  cat >"$r/usr/local/bin/keep-redis-entrypoint" <<'SH'
#!/bin/sh
# Like the official redis image: first arg "-..." or "*.conf" means "redis-server <args>".
set -e
case "${1:-}" in
  -*|*.conf) set -- redis-server "$@" ;;
esac
if [ "${1:-}" = redis-server ]; then
  shift
  case "${1:-}" in
    *.conf) exec redis-server "$@" ;;                       # caller's own config file
    -v|--version|-h|--help|--test-memory|--check-system) exec redis-server "$@" ;;
    *) exec redis-server /etc/redis/keep.conf "$@" ;;      # our defaults, then caller's flags
  esac
fi
exec "$@"
SH
  chmod 755 "$r/usr/local/bin/keep-redis-entrypoint"
  # Debian's own config and the init/systemd bits are unused in a container.
  rm -rf "$r"/etc/init.d/redis-server "$r"/lib/systemd "$r"/usr/lib/systemd "$r"/etc/systemd \
         "$r"/etc/logrotate.d
}
