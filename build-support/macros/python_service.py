# Pants BUILD-file macro (loaded through [GLOBAL] build_file_prelude_globs), not a module.
# One recipe for every Python service image, so a change to the base, the layers or the
# hardening happens here once. A service's BUILD file says only:
#
#     python_service(name="datastorage", ports=[50051, 9101])
#
# which defines, next to the service's `main.py`:
#   :<name>       the service PEX (`./pants run path/to/service:<name>`)
#   :<name>-deps  the same PEX without Keep's code: its third-party requirements only
#   :image        the image, tagged {pants.hash}
#
# The image has two layers above the base: the third-party venv (from :<name>-deps, rebuilt
# only when requirements change, so a code-only change ships a layer of a few hundred KB) and
# Keep's code on top. Build args (pants.toml [docker] build_args):
#   BASE_IMAGE          the base image (online users may pass python:3.11-slim); no shell
#   BUILDER_IMAGE       the build stages' image: the base plus a shell and binutils (online:
#                       python:3.11-slim again, then the native libraries stay unstripped)
#   BASE_IMAGE_CONTENT  what the base holds (build-support/images: recipe + Debian package
#                       versions). Part of {pants.hash}, so a patched base yields new tags.


def python_service(name, ports, entry_point="main.py", **kwargs):
    directory = build_file_dir().as_posix()
    context = directory.replace("/", ".")
    pex_binary(
        name=name,
        entry_point=entry_point,
        # The base image's interpreter; the PEX carries every dependency itself.
        shebang="/usr/bin/env python3.11",
        # The image unpacks the PEX into a venv with `PEX_TOOLS=1 ... venv`.
        include_tools=True,
        # Type stubs are for mypy only; `import grpc` / `google.protobuf` would pull them in.
        dependencies=[
            "!!3rdparty/python:reqs#grpc-stubs",
            "!!3rdparty/python:reqs#types-protobuf",
        ],
        **kwargs,
    )
    pex_binary(
        name=f"{name}-deps",
        entry_point=entry_point,
        shebang="/usr/bin/env python3.11",
        include_tools=True,
        include_sources=False,
        dependencies=[
            "!!3rdparty/python:reqs#grpc-stubs",
            "!!3rdparty/python:reqs#types-protobuf",
        ],
        **kwargs,
    )
    venv = "PEX_TOOLS=1 python3.11 /tmp/service.pex venv --compile --bin-path=prepend"
    # Symbol tables are for debuggers and linkers, not for loading: cryptography's Rust library
    # loses 20 % (grpc's and pydantic-core's come stripped). Skipped where a builder has no
    # binutils (e.g. BUILDER_IMAGE=python:3.11-slim).
    strip = (
        "if command -v strip >/dev/null; then"
        " find /app/venv -name '*.so*' -type f -exec strip --strip-unneeded {} +; fi"
    )
    expose = " ".join(str(port) for port in ports)
    docker_image(
        name="image",
        image_tags=["{pants.hash}"],
        dependencies=[f":{name}", f":{name}-deps"],
        instructions=[
            "ARG BASE_IMAGE=keep/python-base:3.11-bookworm-r2",
            "ARG BUILDER_IMAGE=keep/python-builder:3.11-bookworm-r2",
            "ARG BASE_IMAGE_CONTENT=unknown",
            # Unpack at build time: nothing is written at run time, so the container runs with a
            # read-only root filesystem and starts without extracting anything. Root only in
            # these throwaway stages, to write /app; the final stage runs as 10001. They run on
            # the builder (the base plus a shell and binutils): the base has no shell.
            "FROM ${BUILDER_IMAGE} AS deps",
            f"COPY {context}/{name}-deps.pex /tmp/service.pex",
            "# hadolint ignore=DL3002",
            "USER 0",
            f"RUN {venv} --scope=deps /app/venv && {strip}",
            "FROM ${BUILDER_IMAGE} AS srcs",
            f"COPY {context}/{name}.pex /tmp/service.pex",
            "# hadolint ignore=DL3002",
            "USER 0",
            f"RUN {venv} --scope=srcs /app/venv",
            "FROM ${BASE_IMAGE}",
            "ARG BASE_IMAGE_CONTENT",
            "LABEL dev.keep.base-image-content=${BASE_IMAGE_CONTENT}",
            "COPY --from=deps /app/venv /app/venv",
            "COPY --from=srcs /app/venv /app/venv",
            "USER 10001:10001",
            f"EXPOSE {expose}",
            'ENTRYPOINT ["/app/venv/pex"]',
        ],
    )
