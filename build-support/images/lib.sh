# shellcheck shell=bash disable=SC2016
# (SC2016: dpkg-query formats like '${Package}' are meant literally.)
# Shared recipe machinery for build-support/images/build-base-images.sh. Source it.
#
# A recipe is a file build-support/images/recipes/<name>.sh defining:
#   IMAGE_TAG         e.g. keep/python-base:3.11-bookworm-r2 (bump -rN whenever the recipe changes)
#   IMAGE_PACKAGES    array of Debian packages to install on top of debootstrap --variant=minbase
#   IMAGE_CHANGES     array of `docker import --change` lines (ENV/USER/WORKDIR/CMD/ENTRYPOINT/...)
#   recipe_pre_install ROOTFS   (optional) runs before the packages are installed (fixed uids etc.)
#   recipe_post_install ROOTFS  (optional) runs after installation, before stripping
#   IMAGE_ESSENTIAL   (optional) array: the only Essential packages to keep (default: all). The
#                     other Essential packages (shell, coreutils, ...) and everything only they
#                     need are purged last, without running maintainer scripts (no shell left).
#   IMAGE_PURGE       (optional) array: packages purged although the recipe's packages depend on
#                     them (e.g. libraries of stdlib modules the image never imports)
#   IMAGE_BUILDER_TAG, IMAGE_BUILDER_PACKAGES  (optional) a second image from the same rootfs:
#                     everything above plus these packages and all Essential ones, taken before
#                     the purges of IMAGE_ESSENTIAL/IMAGE_PURGE; for build stages (e.g. binutils)
#                     whose output is copied into the image
#
# The image gets LABEL dev.keep.recipe-sha256 = sha256 over this file and the recipe:
# an existing tag whose label differs means someone changed a recipe without bumping -rN, and
# the build stops (use --force to overwrite locally, bump -rN to publish the change).

IMAGES_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SUITE=${KEEP_DEBIAN_SUITE:-bookworm}
APT_CACHE_DIR=${KEEP_APT_CACHE_DIR:-/var/cache/keep-base-images/apt}
WORK_ROOT=${KEEP_IMAGE_WORK_ROOT:-/var/tmp}
RECORD_FILE=${KEEP_IMAGE_RECORD_FILE:-/var/log/keep-base-images.tsv}
UID_KEEP=10001

recipe_hash() {  # recipe_hash RECIPE_FILE
  cat "$IMAGES_DIR/lib.sh" "$1" | sha256sum | cut -c1-64
}

image_label() {  # image_label TAG LABEL -> value or empty; fails if the image is absent
  docker image inspect --format "{{ index .Config.Labels \"$2\" }}" "$1" 2>/dev/null
}

# Host apt sources as a one-line sources.list for SUITE, SUITE-updates and SUITE-security.
sources_list() {
  local mirror security
  mirror=$(debian_mirror)
  security=""
  if [ -r /etc/apt/sources.list.d/debian.sources ]; then
    security=$(awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i ~ /security/) { print $i; exit } }' \
      /etc/apt/sources.list.d/debian.sources)
  fi
  security=${KEEP_DEBIAN_SECURITY_MIRROR:-${security:-http://deb.debian.org/debian-security}}
  printf 'deb %s %s main\ndeb %s %s-updates main\ndeb %s %s-security main\n' \
    "$mirror" "$SUITE" "$mirror" "$SUITE" "$security" "$SUITE"
}

_ROOTFS=""
_cleanup_rootfs() {
  [ -n "$_ROOTFS" ] || return 0
  local m
  for m in var/cache/apt/archives proc; do
    mountpoint -q "$_ROOTFS/$m" 2>/dev/null && umount -l "$_ROOTFS/$m"
  done
  rm -rf --one-file-system "$_ROOTFS"
  _ROOTFS=""
}

in_root() { chroot "$_ROOTFS" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
  DEBIAN_FRONTEND=noninteractive LC_ALL=C "$@"; }

# add_user ROOTFS NAME ID HOME: system-style user+group NAME with uid=gid=ID, no login.
# (Plain file edits: minbase has no useradd guarantee and this is deterministic.)
add_user() {
  local r=$1 name=$2 id=$3 home=$4
  grep -q "^$name:" "$r/etc/group" || echo "$name:x:$id:" >>"$r/etc/group"
  grep -q "^$name:" "$r/etc/gshadow" 2>/dev/null || echo "$name:!::" >>"$r/etc/gshadow"
  grep -q "^$name:" "$r/etc/passwd" || echo "$name:x:$id:$id:$name:$home:/usr/sbin/nologin" >>"$r/etc/passwd"
  grep -q "^$name:" "$r/etc/shadow" || echo "$name:!:19000::::::" >>"$r/etc/shadow"
  mkdir -p "$r$home"
  chown "$id:$id" "$r$home"
  chmod 750 "$r$home"
}

# Remove every package that neither the recipe's IMAGE_PACKAGES nor an Essential package needs
# (debootstrap's minbase also installs all Priority: required packages: e2fsprogs, passwd,
# gnutls for apt, ...), then the package tools a runtime image never uses: apt (nothing installs
# packages at run time: change the recipe instead) and perl-base + debconf (only maintainer
# scripts use them). dpkg and its status database stay so image scanners see what is installed.
prune_packages() {
  log "[$IMAGE_TAG] pruning packages"
  local essential keep remove p runtime_remove=""
  essential=$(in_root dpkg-query -W -f '${Package} ${Essential}\n' | awk '$2 == "yes" { print $1 }')
  _RUNTIME_REMOVE=""
  if [ "${#IMAGE_ESSENTIAL[@]}" -gt 0 ] || [ "${#IMAGE_PURGE[@]}" -gt 0 ] \
     || [ "${#IMAGE_BUILDER_PACKAGES[@]}" -gt 0 ]; then
    # Computed now, while apt-cache exists; purged last by build_image (purge_without_scripts).
    local roots=("${IMAGE_ESSENTIAL[@]}")
    # shellcheck disable=SC2206  # one Essential package per word
    [ "${#roots[@]}" -gt 0 ] || roots=($essential)
    keep=$(in_root apt-cache depends --recurse --installed --no-recommends --no-suggests \
             --no-conflicts --no-breaks --no-replaces --no-enhances "${IMAGE_PACKAGES[@]}" "${roots[@]}" \
           | grep -v -e '^ ' -e '^<' | sort -u | comm -23 - <(printf '%s\n' "${IMAGE_PURGE[@]}" | sort -u))
    runtime_remove=$(in_root dpkg-query -W -f '${Package}\n' | sort -u | comm -23 - <(echo "$keep"))
  fi
  # Transitive Depends/Pre-Depends of the recipe's (and builder's) packages and of the Essential set.
  # shellcheck disable=SC2086  # word splitting of the package lists is intended
  keep=$(in_root apt-cache depends --recurse --installed --no-recommends --no-suggests \
           --no-conflicts --no-breaks --no-replaces --no-enhances "${IMAGE_PACKAGES[@]}" \
           "${IMAGE_BUILDER_PACKAGES[@]}" $essential \
         | grep -v -e '^ ' -e '^<' | sort -u)
  remove=$(in_root dpkg-query -W -f '${Package}\n' | sort -u | comm -23 - <(echo "$keep"))
  # shellcheck disable=SC2086
  remove=$(printf '%s\n' $remove apt libapt-pkg6.0 gpgv debian-archive-keyring debconf perl-base | sort -u)
  # What the scripted purge below removes is no longer for the scriptless one.
  # shellcheck disable=SC2086
  _RUNTIME_REMOVE=$(comm -23 <(printf '%s\n' $runtime_remove | sort -u) <(echo "$remove") | grep . || true)
  log "[$IMAGE_TAG] purging: ${remove//$'\n'/ }"
  for p in $remove; do
    if in_root dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q 'ok installed'; then
      in_root dpkg --purge --force-remove-essential --force-depends "$p" >>"$_ROOTFS.prune.log" 2>&1 \
        || { tail -n 30 "$_ROOTFS.prune.log" >&2; die "dpkg --purge $p failed"; }
    fi
  done
  rm -f "$_ROOTFS.prune.log"
}

# purge_without_scripts PACKAGE...: purge in one dpkg run that needs no shell: the packages'
# maintainer scripts are deleted first (they would need the sh, rm and sed being purged), so
# their only effect left undone is the ld.so cache, which the host's ldconfig rebuilds.
purge_without_scripts() {
  local p
  log "[$IMAGE_TAG] purging without maintainer scripts: $*"
  for p in "$@"; do
    rm -f "$_ROOTFS"/var/lib/dpkg/info/"$p"{,:amd64}.{preinst,postinst,prerm,postrm,config,triggers}
  done
  # Not in_root: it needs /usr/bin/env, which is among the purged files.
  env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C chroot "$_ROOTFS" /usr/bin/dpkg --purge \
    --force-remove-essential --force-depends --no-triggers "$@" >"$_ROOTFS.purge.log" 2>&1 \
    || { tail -n 30 "$_ROOTFS.purge.log" >&2; die "dpkg --purge (no scripts) failed"; }
  rm -f "$_ROOTFS.purge.log"
  ldconfig -r "$_ROOTFS"
}

# Delete everything a runtime image does not need. Keeps /var/lib/dpkg (image scanners read it)
# and /usr/share/doc/*/copyright (licences).
strip_rootfs() {
  local r=$1
  rm -rf "$r"/etc/apt "$r"/var/lib/apt "$r"/var/cache/apt "$r"/var/log/apt \
         "$r"/usr/share/man "$r"/usr/share/info "$r"/usr/share/lintian "$r"/usr/share/linda \
         "$r"/usr/share/bug "$r"/usr/share/menu "$r"/var/cache/debconf/*-old \
         "$r"/var/cache/ldconfig/aux-cache "$r"/usr/share/bash-completion \
         "$r"/var/lib/dpkg/*-old "$r"/etc/*- "$r"/etc/machine-id "$r"/var/lib/dbus/machine-id \
         "$r"/root/.bash_history "$r"/tmp/* "$r"/var/tmp/*
  find "$r"/usr/share/doc -mindepth 1 -not -name copyright -not -type d -delete
  find "$r"/usr/share/doc -mindepth 1 -type d -empty -delete
  find "$r"/usr/share/locale -mindepth 1 -maxdepth 1 -not -name locale.alias -exec rm -rf {} +
  find "$r"/usr/share/i18n -mindepth 1 -maxdepth 1 -not -name charmaps -exec rm -rf {} + 2>/dev/null || true
  # glibc's iconv modules: Python's codecs do not use iconv.
  rm -rf "$r"/usr/lib/x86_64-linux-gnu/gconv
  find "$r"/var/log -type f -delete
  find "$r"/var/cache -type f -delete
  # 'debootstrap' leaves these.
  rm -rf "$r"/debootstrap "$r"/var/lib/dpkg/info/*.md5sums
  : >"$r"/etc/resolv.conf
  : >"$r"/etc/hostname
}

# build_image RECIPE_FILE FORCE(0|1): returns 0 (built or reused), fails otherwise.
build_image() {
  local recipe=$1 force=$2 hash existing started elapsed size_mb tag tags old_ids=()
  # Reset recipe variables so recipes cannot leak into each other.
  IMAGE_TAG="" IMAGE_PACKAGES=() IMAGE_CHANGES=() IMAGE_ESSENTIAL=() IMAGE_PURGE=()
  IMAGE_BUILDER_TAG="" IMAGE_BUILDER_PACKAGES=()
  recipe_pre_install() { :; }
  recipe_post_install() { :; }
  # shellcheck source=/dev/null
  . "$recipe"
  [ -n "$IMAGE_TAG" ] || die "$recipe does not set IMAGE_TAG"
  hash=$(recipe_hash "$recipe")

  if existing=$(image_label "$IMAGE_TAG" dev.keep.recipe-sha256); then
    if [ "$force" != 1 ]; then
      if [ "$existing" = "$hash" ] && { [ -z "$IMAGE_BUILDER_TAG" ] \
           || [ "$(image_label "$IMAGE_BUILDER_TAG" dev.keep.recipe-sha256)" = "$hash" ]; }; then
        log "$IMAGE_TAG exists (recipe ${hash:0:12}); skipping (use --force to rebuild)"
        return 0
      fi
      [ "$existing" = "$hash" ] || die "$IMAGE_TAG exists but was built from another recipe (${existing:0:12} != ${hash:0:12}).
  The recipe changed without a tag bump: bump -rN in $recipe (and the Dockerfiles'/pants.toml
  BASE_IMAGE) so images built on it get new pants hashes, or use --force for a local experiment."
      log "$IMAGE_BUILDER_TAG missing; rebuilding $IMAGE_TAG with it"
    else
      log "$IMAGE_TAG exists; rebuilding because of --force"
    fi
  fi
  tags=("$IMAGE_TAG")
  [ -z "$IMAGE_BUILDER_TAG" ] || tags+=("$IMAGE_BUILDER_TAG")
  for tag in "${tags[@]}"; do
    old_ids+=("$(docker image inspect --format '{{.Id}}' "$tag" 2>/dev/null || true)")
  done

  started=$(date +%s)
  mkdir -p "$WORK_ROOT" "$APT_CACHE_DIR"
  _ROOTFS=$(mktemp -d "$WORK_ROOT/keep-rootfs.XXXXXX")
  trap _cleanup_rootfs EXIT
  trap 'exit 130' INT TERM  # so the EXIT trap unmounts and deletes the half-built rootfs
  chmod 755 "$_ROOTFS"
  log "[$IMAGE_TAG] debootstrap --variant=minbase $SUITE from $(debian_mirror)"
  debootstrap --variant=minbase --cache-dir="$APT_CACHE_DIR" "$SUITE" "$_ROOTFS" "$(debian_mirror)" \
    >"$_ROOTFS.debootstrap.log" 2>&1 \
    || { tail -n 30 "$_ROOTFS.debootstrap.log" >&2; die "debootstrap failed (log $_ROOTFS.debootstrap.log)"; }
  rm -f "$_ROOTFS.debootstrap.log"

  # Prepare the chroot for apt: sources incl. security, no service start, DNS, no recommends.
  sources_list >"$_ROOTFS/etc/apt/sources.list"
  printf '#!/bin/sh\nexit 101\n' >"$_ROOTFS/usr/sbin/policy-rc.d"
  chmod 755 "$_ROOTFS/usr/sbin/policy-rc.d"
  cp -L /etc/resolv.conf "$_ROOTFS/etc/resolv.conf"
  cat >"$_ROOTFS/etc/apt/apt.conf.d/90keep" <<'APT'
APT::Install-Recommends "false";
APT::Install-Suggests "false";
Acquire::Languages "none";
APT
  # Nothing we strip later is unpacked in the first place.
  cat >"$_ROOTFS/etc/dpkg/dpkg.cfg.d/90keep-nodoc" <<'DPKG'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
path-exclude /usr/share/lintian/*
DPKG
  mount -t proc proc "$_ROOTFS/proc"
  mkdir -p "$_ROOTFS/var/cache/apt/archives"
  mount --bind "$APT_CACHE_DIR" "$_ROOTFS/var/cache/apt/archives"

  # The project's user and group: uid/gid 10001 `keep`, home /home/keep.
  add_user "$_ROOTFS" keep "$UID_KEEP" /home/keep
  recipe_pre_install "$_ROOTFS"

  log "[$IMAGE_TAG] apt-get upgrade + install: ${IMAGE_PACKAGES[*]} ${IMAGE_BUILDER_PACKAGES[*]}"
  {
    in_root apt-get update \
    && in_root apt-get -y -o Dpkg::Options::=--force-confold dist-upgrade \
    && in_root apt-get -y install "${IMAGE_PACKAGES[@]}" "${IMAGE_BUILDER_PACKAGES[@]}"
  } >"$_ROOTFS.apt.log" 2>&1 \
    || { tail -n 30 "$_ROOTFS.apt.log" >&2; die "apt-get in the chroot failed (log $_ROOTFS.apt.log)"; }
  rm -f "$_ROOTFS.apt.log"
  recipe_post_install "$_ROOTFS"
  umount -l "$_ROOTFS/var/cache/apt/archives"
  prune_packages
  umount -l "$_ROOTFS/proc"
  rm -f "$_ROOTFS/usr/sbin/policy-rc.d" "$_ROOTFS/etc/dpkg/dpkg.cfg.d/90keep-nodoc"
  strip_rootfs "$_ROOTFS"
  [ -z "$IMAGE_BUILDER_TAG" ] || import_rootfs "$IMAGE_BUILDER_TAG" "$recipe" "$hash"
  if [ -n "$_RUNTIME_REMOVE" ]; then
    # shellcheck disable=SC2086  # one package per word
    purge_without_scripts $_RUNTIME_REMOVE
    strip_rootfs "$_ROOTFS"
  fi
  import_rootfs "$IMAGE_TAG" "$recipe" "$hash"
  _cleanup_rootfs
  trap - EXIT INT TERM

  # A replaced image is now untagged: drop it unless a container or another tag uses it.
  local id
  for id in "${old_ids[@]}"; do
    [ -n "$id" ] && [ -z "$(docker image inspect --format '{{.RepoTags}}' "$id" 2>/dev/null | tr -d '[]')" ] \
      && docker image rm "$id" >/dev/null 2>&1 || true
  done
  elapsed=$(( $(date +%s) - started ))
  for tag in "${tags[@]}"; do
    size_mb=$(awk -v b="$(docker image inspect --format '{{.Size}}' "$tag")" 'BEGIN { printf "%.1f", b / 1000000 }')
    log "[$tag] built in ${elapsed}s, ${size_mb} MB"
    mkdir -p "$(dirname "$RECORD_FILE")"
    printf '%s\t%s\t%ss\t%sMB\t%s\n' "$(date -u +%FT%TZ)" "$tag" "$elapsed" "$size_mb" "${hash:0:12}" \
      >>"$RECORD_FILE"
  done
}

# import_rootfs TAG RECIPE_FILE HASH: the rootfs as it is now, as image TAG.
import_rootfs() {
  local tag=$1 recipe=$2 hash=$3 changes=() c
  log "[$tag] docker import"
  for c in "${IMAGE_CHANGES[@]}"; do changes+=(--change "$c"); done
  changes+=(--change "LABEL dev.keep.recipe-sha256=$hash")
  changes+=(--change "LABEL org.opencontainers.image.source=build-support/images/recipes/$(basename "$recipe")")
  tar --numeric-owner --xattrs -C "$_ROOTFS" -c . \
    | docker import "${changes[@]}" --message "keep base image $tag" - "$tag" >/dev/null
}
