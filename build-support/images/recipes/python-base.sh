# shellcheck shell=bash
# keep/python-base: Debian bookworm python3 (3.11) + ca-certificates + tzdata + libstdc++6,
# user 10001 `keep`.
# Runs PEX files built with shebang "/usr/bin/env python3.11" (zipapp or venv mode).
# Bump -rN whenever this recipe (or lib.sh / common.sh) changes.
# shellcheck disable=SC2034  # variables are read by lib.sh
IMAGE_TAG=keep/python-base:3.11-bookworm-r1
# libstdc++6: the manylinux wheels of grpcio and protobuf (upb) link libstdc++.so.6.
IMAGE_PACKAGES=(python3 ca-certificates tzdata libstdc++6)
IMAGE_CHANGES=(
  "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
  "ENV LANG=C.UTF-8"
  "ENV PYTHONUNBUFFERED=1"
  "ENV PYTHONDONTWRITEBYTECODE=1"
  # A PEX unpacks itself under PEX_ROOT (default ~/.pex). /tmp is the only writable path under
  # a read-only root filesystem (an emptyDir in Kubernetes).
  "ENV PEX_ROOT=/tmp/.pex"
  "ENV HOME=/home/keep"
  "WORKDIR /app"
  "USER 10001:10001"
  'CMD ["python3.11"]'
)

recipe_post_install() {
  local r=$1
  mkdir -p "$r/app"
  # The interpreter the PEX shebang asks for must be on PATH.
  [ -x "$r/usr/bin/python3.11" ] || die "python3.11 missing from the image"
  # Test suites / idle / tkinter / lib2to3 grammar pickles are not installed by these packages;
  # drop the few pieces of the stdlib that are pure development tooling.
  rm -rf "$r"/usr/lib/python3.11/ensurepip "$r"/usr/lib/python3.11/idlelib \
         "$r"/usr/lib/python3.11/pydoc_data "$r"/usr/lib/python3.11/turtledemo
}
