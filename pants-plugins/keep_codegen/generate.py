"""Generate Python messages, mypy stubs and gRPC stubs from `protobuf_sources` in one protoc run.

Pants 2.17's own rule takes the gRPC plugin as a downloaded binary (`[grpc-python-plugin]`), which
only Debian packages for this project's platforms. Here the plugin is a PEX built from the
python-default resolve: `protoc_gen_grpc_python.py` run with the locked grpcio-tools, so the stubs
come from the same gRPC release the services import (its generated code refuses an older grpcio),
on every platform the lockfile has wheels for, pinned by the lockfile's hashes.
"""

from __future__ import annotations

import os
from pathlib import Path, PurePath

from pants.backend.codegen.protobuf.protoc import Protoc  # pants: no-infer-dep
from pants.backend.codegen.protobuf.python.additional_fields import (  # pants: no-infer-dep
    PythonSourceRootField,  # pants: no-infer-dep
)
from pants.backend.codegen.protobuf.python.python_protobuf_subsystem import (  # pants: no-infer-dep
    PythonProtobufMypyPlugin,  # pants: no-infer-dep
    PythonProtobufSubsystem,  # pants: no-infer-dep
)
from pants.backend.codegen.protobuf.target_types import (  # pants: no-infer-dep
    ProtobufGrpcToggleField,  # pants: no-infer-dep
    ProtobufSourceField,  # pants: no-infer-dep
)
from pants.backend.python.subsystems.python_tool_base import (  # pants: no-infer-dep
    PythonToolRequirementsBase,  # pants: no-infer-dep
)
from pants.backend.python.target_types import EntryPoint, PythonSourceField  # pants: no-infer-dep
from pants.backend.python.util_rules import pex  # pants: no-infer-dep
from pants.backend.python.util_rules.pex import VenvPex, VenvPexRequest  # pants: no-infer-dep
from pants.backend.python.util_rules.pex_environment import (  # pants: no-infer-dep
    CompletePexEnvironment,  # pants: no-infer-dep
    PexEnvironment,  # pants: no-infer-dep
)
from pants.core.util_rules.external_tool import (  # pants: no-infer-dep
    DownloadedExternalTool,  # pants: no-infer-dep
    ExternalToolRequest,  # pants: no-infer-dep
)
from pants.core.util_rules.source_files import SourceFilesRequest  # pants: no-infer-dep
from pants.core.util_rules.stripped_source_files import StrippedSourceFiles  # pants: no-infer-dep
from pants.engine.fs import (  # pants: no-infer-dep
    AddPrefix,  # pants: no-infer-dep
    CreateDigest,  # pants: no-infer-dep
    Digest,  # pants: no-infer-dep
    Directory,  # pants: no-infer-dep
    FileContent,  # pants: no-infer-dep
    MergeDigests,  # pants: no-infer-dep
    RemovePrefix,  # pants: no-infer-dep
    Snapshot,  # pants: no-infer-dep
)
from pants.engine.platform import Platform  # pants: no-infer-dep
from pants.engine.process import Process, ProcessResult  # pants: no-infer-dep
from pants.engine.rules import Get, MultiGet, collect_rules, rule  # pants: no-infer-dep
from pants.engine.target import (  # pants: no-infer-dep
    GeneratedSources,  # pants: no-infer-dep
    GenerateSourcesRequest,  # pants: no-infer-dep
    TransitiveTargets,  # pants: no-infer-dep
    TransitiveTargetsRequest,  # pants: no-infer-dep
)
from pants.engine.unions import UnionRule  # pants: no-infer-dep
from pants.source.source_root import SourceRoot, SourceRootRequest  # pants: no-infer-dep
from pants.util.logging import LogLevel  # pants: no-infer-dep

PLUGIN_SOURCE = Path(__file__).with_name("protoc_gen_grpc_python.py")
OUTPUT_DIR = "_generated_files"


class GrpcioTools(PythonToolRequirementsBase):
    options_scope = "grpcio-tools"
    help = "The gRPC Python generator (grpcio-tools), run as a protoc plugin for grpc=True protos."

    default_version = "grpcio-tools"
    default_requirements = ["grpcio-tools"]
    # Installed from a resolve, the plugin runs on that resolve's interpreter constraints.
    register_interpreter_constraints = True
    # Pants 2.17 wants a built-in lockfile for every tool; there is none: pants.toml installs
    # grpcio-tools from the python-default resolve (`install_from_resolve`).
    default_lockfile_resource = ("keep_codegen", "grpcio-tools.lock")


class GeneratePythonFromProtobufRequest(GenerateSourcesRequest):
    input = ProtobufSourceField
    output = PythonSourceField


async def _plugin_venvs(
    grpc: bool,
    grpcio_tools: GrpcioTools,
    python_protobuf: PythonProtobufSubsystem,
    mypy_protobuf: PythonProtobufMypyPlugin,
    complete_pex_env: CompletePexEnvironment,
) -> tuple[VenvPex | None, VenvPex | None]:
    """The grpcio-tools plugin (if grpc) and mypy-protobuf's two plugins (if mypy stubs are on)."""
    plugin_sources = await Get(
        Digest, CreateDigest([FileContent(PLUGIN_SOURCE.name, PLUGIN_SOURCE.read_bytes())])
    )
    requests = []
    if grpc:
        requests.append(
            Get(
                VenvPex,
                VenvPexRequest(
                    grpcio_tools.to_pex_request(
                        main=EntryPoint(PLUGIN_SOURCE.stem, "main"), sources=plugin_sources
                    ),
                    complete_pex_env,
                ),
            )
        )
    if python_protobuf.mypy_plugin:
        requests.append(
            Get(
                VenvPex,
                VenvPexRequest(
                    mypy_protobuf.to_pex_request(),
                    complete_pex_env,
                    bin_names=["protoc-gen-mypy", "protoc-gen-mypy_grpc"],
                ),
            )
        )
    venvs = list(await MultiGet(requests))
    grpc_venv = venvs.pop(0) if grpc else None
    mypy_venv = venvs.pop(0) if venvs else None
    return grpc_venv, mypy_venv


@rule(desc="Generate Python from Protobuf", level=LogLevel.DEBUG)
async def generate_python_from_protobuf(
    request: GeneratePythonFromProtobufRequest,
    protoc: Protoc,
    grpcio_tools: GrpcioTools,
    python_protobuf: PythonProtobufSubsystem,
    mypy_protobuf: PythonProtobufMypyPlugin,
    pex_environment: PexEnvironment,
    platform: Platform,
) -> GeneratedSources:
    target = request.protocol_target
    grpc = bool(target.get(ProtobufGrpcToggleField).value)
    # protoc needs every imported .proto to parse, but generates only the target's own file.
    transitive = await Get(TransitiveTargets, TransitiveTargetsRequest([target.address]))
    complete_pex_env = pex_environment.in_sandbox(working_directory=None)
    grpc_venv, mypy_venv = await _plugin_venvs(
        grpc, grpcio_tools, python_protobuf, mypy_protobuf, complete_pex_env
    )
    downloaded_protoc, output_dir, all_protos, own_protos = await MultiGet(
        Get(DownloadedExternalTool, ExternalToolRequest, protoc.get_request(platform)),
        Get(Digest, CreateDigest([Directory(OUTPUT_DIR)])),
        Get(
            StrippedSourceFiles,
            SourceFilesRequest(
                t[ProtobufSourceField]
                for t in transitive.closure
                if t.has_field(ProtobufSourceField)
            ),
        ),
        Get(StrippedSourceFiles, SourceFilesRequest([target[ProtobufSourceField]])),
    )

    protoc_dir = "__protoc"
    argv = [os.path.join(protoc_dir, downloaded_protoc.exe), f"--python_out={OUTPUT_DIR}"]
    inputs = [all_protos.snapshot.digest, output_dir]
    if grpc_venv:
        inputs.append(grpc_venv.digest)
        argv += [f"--plugin=protoc-gen-grpc={grpc_venv.pex.argv0}", f"--grpc_out={OUTPUT_DIR}"]
    if mypy_venv:
        inputs.append(mypy_venv.digest)
        argv += [
            f"--plugin=protoc-gen-mypy={mypy_venv.bin['protoc-gen-mypy'].argv0}",
            f"--mypy_out={OUTPUT_DIR}",
        ]
        if grpc:
            argv += [
                f"--plugin=protoc-gen-mypy_grpc={mypy_venv.bin['protoc-gen-mypy_grpc'].argv0}",
                f"--mypy_grpc_out={OUTPUT_DIR}",
            ]
    argv += own_protos.snapshot.files
    result = await Get(
        ProcessResult,
        Process(
            argv,
            input_digest=await Get(Digest, MergeDigests(inputs)),
            immutable_input_digests={protoc_dir: downloaded_protoc.digest},
            description=f"Generating Python sources from {target.address}.",
            level=LogLevel.DEBUG,
            output_directories=(OUTPUT_DIR,),
            # The plugins' venvs live in the PEX root named cache.
            append_only_caches=complete_pex_env.append_only_caches,
        ),
    )

    # Put the files under a source root again: python_source_root if set, else the .proto's own.
    python_root = target.get(PythonSourceRootField).value
    root_request = (
        SourceRootRequest(PurePath(python_root))
        if python_root
        else SourceRootRequest.for_target(target)
    )
    generated, source_root = await MultiGet(
        Get(Digest, RemovePrefix(result.output_digest, OUTPUT_DIR)),
        Get(SourceRoot, SourceRootRequest, root_request),
    )
    if source_root.path == ".":
        return GeneratedSources(await Get(Snapshot, Digest, generated))
    return GeneratedSources(await Get(Snapshot, AddPrefix(generated, source_root.path)))


def rules():
    return [
        *collect_rules(),
        *GrpcioTools.rules(),
        *pex.rules(),
        UnionRule(GenerateSourcesRequest, GeneratePythonFromProtobufRequest),
    ]
