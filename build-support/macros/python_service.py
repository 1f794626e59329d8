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
#   BASE_IMAGE          the base image (online users may pass python:3.11-slim)
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
    # Exec form: the base image has no shell (build-support/images/recipes/python-base.sh).
    def venv(scope):
        argv = ["python3.11", "/tmp/service.pex", "venv", "--compile", "--bin-path=prepend"]
        return "RUN " + repr([*argv, f"--scope={scope}", "/app/venv"]).replace("'", '"')

    expose = " ".join(str(port) for port in ports)
    docker_image(
        name="image",
        image_tags=["{pants.hash}"],
        dependencies=[f":{name}", f":{name}-deps"],
        instructions=[
            "ARG BASE_IMAGE=keep/python-base:3.11-bookworm-r2",
            "ARG BASE_IMAGE_CONTENT=unknown",
            # Unpack at build time: nothing is written at run time, so the container runs with a
            # read-only root filesystem and starts without extracting anything. Root only in
            # these throwaway stages, to write /app; the final stage runs as 10001.
            "FROM ${BASE_IMAGE} AS deps",
            f"COPY {context}/{name}-deps.pex /tmp/service.pex",
            "# hadolint ignore=DL3002",
            "USER 0",
            "ENV PEX_TOOLS=1",
            venv("deps"),
            "FROM ${BASE_IMAGE} AS srcs",
            f"COPY {context}/{name}.pex /tmp/service.pex",
            "# hadolint ignore=DL3002",
            "USER 0",
            "ENV PEX_TOOLS=1",
            venv("srcs"),
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
