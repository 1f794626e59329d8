# shellcheck shell=bash
# keep/python-base: Debian bookworm python3 (3.11) + ca-certificates + tzdata + libstdc++6,
# user 10001 `keep`. No shell and no Essential tools: the services' probes are gRPC/HTTP, their
# entrypoints exec Python, and an image build runs its steps in exec form
# (build-support/macros/python_service.py); debug with `kubectl debug` and a tools image.
# dpkg stays (its database is what image scanners and keep.release.base_image read).
# Runs PEX files built with shebang "/usr/bin/env python3.11" (zipapp or venv mode).
# Bump -rN whenever this recipe (or lib.sh / common.sh) changes.
# shellcheck disable=SC2034  # variables are read by lib.sh
IMAGE_TAG=keep/python-base:3.11-bookworm-r2
# The service images' build stages: this image plus a shell, the Essential tools and binutils
# (they strip the wheels' native libraries; the final stage copies the result onto IMAGE_TAG).
IMAGE_BUILDER_TAG=keep/python-builder:3.11-bookworm-r2
IMAGE_BUILDER_PACKAGES=(binutils)
IMAGE_ESSENTIAL=(base-files base-passwd dpkg)
# The libraries of stdlib modules a service never imports: dbm (Berkeley DB), sqlite3, nis
# (Kerberos + Sun RPC), readline and curses (ncurses). Their extension modules go too, so an
# import fails with ModuleNotFoundError rather than a missing .so.
IMAGE_PURGE=(libdb5.3 libsqlite3-0 libnsl2 libtirpc3 libtirpc-common libgssapi-krb5-2 libkrb5-3
  libk5crypto3 libkrb5support0 libkeyutils1 libcom-err2 libreadline8 readline-common libncursesw6
  libtinfo6)
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
  # drop the few pieces of the stdlib that are pure development tooling, the test extension
  # modules, and the modules whose libraries IMAGE_PURGE removes.
  local lib=$r/usr/lib/python3.11
  rm -rf "$lib"/ensurepip "$lib"/idlelib "$lib"/pydoc_data "$lib"/turtledemo "$lib"/test \
         "$lib"/__phello__ "$lib"/sqlite3 "$lib"/curses "$lib"/lib-dynload/_test*.so \
         "$lib"/lib-dynload/{_ctypes_test,_xxtestfuzz,xxlimited,xxlimited_35}.*so \
         "$lib"/lib-dynload/{_dbm,_sqlite3,nis,readline,_curses,_curses_panel}.*so
  # Leap-second ("right/") time zones: nothing here asks for them.
  rm -rf "$r"/usr/share/zoneinfo/right
  # glibc's vector math library: only loaded by code built to use it (numpy); neither python3.11
  # nor any wheel of the services needs it (readelf -d). libstdc++'s gdb pretty-printers.
  rm -rf "$r"/usr/lib/x86_64-linux-gnu/libmvec.so.1 "$r"/usr/share/gcc
  # dpkg's build-time metadata: symbols/shlibs serve dpkg-shlibdeps, templates debconf; the
  # database (status, file lists) stays.
  rm -f "$r"/var/lib/dpkg/info/*.symbols "$r"/var/lib/dpkg/info/*.shlibs \
        "$r"/var/lib/dpkg/info/*.templates "$r"/var/lib/dpkg/available
  zip_stdlib
}

# The stdlib modules the services import at start: the closure of these imports, as measured
# by `import keep.<service>.main` in each service image (188 modules, 4.9 MB of bytecode).
STDLIB_HOT=(argparse asyncio base64 csv ctypes dataclasses decimal email.contentmanager
  email.headerregistry email.message email.parser email.policy email.utils fractions gzip hmac
  http.client http.cookies http.server importlib.metadata importlib.resources inspect ipaddress
  json logging mimetypes netrc pathlib pickle platform queue random secrets shlex socket ssl
  subprocess tempfile timeit typing urllib.request uuid wsgiref.simple_server zipfile zoneinfo)

# The pure-Python stdlib as /usr/lib/python311.zip (on sys.path by default, before the
# directory): 21 MB of files become 9 MB. Sources are deflated; bytecode is deflated too except
# for STDLIB_HOT's, stored as is: inflating it cost every start 30 ms of CPU (import of a
# service's stdlib share: 65 ms from the zip stored, 98 ms deflated, 76 ms from the r1 directory).
# The bytecode is unchecked-hash .pyc next to each .py inside the zip, so zipimport never
# recompiles (timestamp pycs would be compared with the zip's local-time DOS dates) and
# tracebacks still show source lines (linecache asks the zip importer). Stays a directory: venv
# (reads its scripts/ from disk for `pex venv`), lib-dynload (extension modules cannot load from
# a zip), os.py (the landmark by which Python finds its prefix) and the non-Python files.
zip_stdlib() {
  in_root python3.11 -I - "${STDLIB_HOT[@]}" <<'PY'
import os, py_compile, shutil, subprocess, sys, zipfile
from pathlib import Path

lib, archive = Path("/usr/lib/python3.11"), Path("/usr/lib/python311.zip")
stay = {"venv", "lib-dynload", "site-packages", "dist-packages"}
scratch = Path("/tmp/stdlib-pyc")
hot = set(subprocess.run(
    [sys.executable, "-I", "-c", f"import sys, {', '.join(sys.argv[1:])}\n"
     "print(*(getattr(m, '__file__', None) for m in list(sys.modules.values())), sep='\\n')"],
    check=True, capture_output=True, text=True,
).stdout.split())
with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
    for source in sorted(lib.rglob("*.py")):
        rel = source.relative_to(lib)
        if rel.parts[0] in stay or "__pycache__" in rel.parts:
            continue
        pyc = scratch / rel.with_suffix(".pyc")
        py_compile.compile(
            str(source), cfile=str(pyc), dfile=f"{archive}/{rel}", doraise=True,
            invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH,
        )
        zf.write(source, str(rel))
        stored = zipfile.ZIP_STORED if str(source) in hot else None
        zf.write(pyc, str(rel.with_suffix(".pyc")), compress_type=stored)
        if rel != Path("os.py"):
            source.unlink()
shutil.rmtree(scratch)
for cache in list(lib.rglob("__pycache__")):
    if cache.relative_to(lib).parts[0] not in stay:
        shutil.rmtree(cache)
for directory in sorted(lib.rglob("*"), reverse=True):  # now-empty package directories
    if directory.is_dir() and not any(directory.iterdir()):
        directory.rmdir()
PY
}
