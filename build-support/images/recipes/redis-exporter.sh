# shellcheck shell=bash
# keep/redis-exporter: Debian bookworm's prometheus-redis-exporter (oliver006/redis_exporter 1.45),
# user 10001. The sidecar of the dev Redis StatefulSet (deploy/kustomize/base/redis): metrics on
# :9121, the Redis password from REDIS_PASSWORD. Bump -rN when this recipe changes.
# shellcheck disable=SC2034  # variables are read by lib.sh
IMAGE_TAG=keep/redis-exporter:1.45-bookworm-r1
IMAGE_PACKAGES=(prometheus-redis-exporter)
IMAGE_CHANGES=(
  "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
  "EXPOSE 9121"
  "USER 10001:10001"
  'ENTRYPOINT ["/usr/bin/prometheus-redis-exporter"]'
)

recipe_post_install() {
  # Debian's init/systemd bits and defaults file are unused in a container.
  rm -rf "$1"/etc/init.d/prometheus-redis-exporter "$1"/lib/systemd "$1"/usr/lib/systemd \
         "$1"/etc/default/prometheus-redis-exporter
}
