"""Keep's Protobuf -> Python backend: Pants' own, with gRPC stubs from grpcio-tools.

Loaded instead of `pants.backend.codegen.protobuf.python` (two backends generating Python from
the same `protobuf_source` would be ambiguous). Everything but the generation rule is Pants' own:
targets, dependency inference, tailor, the mypy-protobuf stubs and the `[protoc]` tool.
"""

from keep_codegen import generate
from pants.backend.codegen.protobuf import (  # pants: no-infer-dep
    protobuf_dependency_inference,  # pants: no-infer-dep
    tailor,  # pants: no-infer-dep
)
from pants.backend.codegen.protobuf import target_types as protobuf_targets  # pants: no-infer-dep
from pants.backend.codegen.protobuf.python import (  # pants: no-infer-dep
    additional_fields,  # pants: no-infer-dep
    python_protobuf_module_mapper,  # pants: no-infer-dep
    python_protobuf_subsystem,  # pants: no-infer-dep
)
from pants.backend.python.dependency_inference import module_mapper  # pants: no-infer-dep
from pants.core.util_rules import stripped_source_files  # pants: no-infer-dep


def rules():
    return [
        *additional_fields.rules(),
        *python_protobuf_subsystem.rules(),
        *generate.rules(),
        *python_protobuf_module_mapper.rules(),
        *protobuf_dependency_inference.rules(),
        *tailor.rules(),
        *protobuf_targets.rules(),
        *module_mapper.rules(),
        *stripped_source_files.rules(),
    ]


def target_types():
    return [protobuf_targets.ProtobufSourcesGeneratorTarget, protobuf_targets.ProtobufSourceTarget]
