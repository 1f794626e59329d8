"""protoc plugin `protoc-gen-grpc`: gRPC Python stubs from grpcio-tools' embedded generator.

grpcio-tools ships the gRPC Python generator only inside its own protoc (`grpc_tools.protoc`),
not as a plugin binary. A protoc plugin reads a `CodeGeneratorRequest` on stdin and writes a
`CodeGeneratorResponse` on stdout, so this one hands the request's descriptors (every file to
generate plus its imports, already parsed by the outer protoc) to grpcio-tools as a
`--descriptor_set_in` and returns the `_pb2_grpc.py` files it writes. The outer protoc keeps
generating the messages; this only adds the stubs, exactly like Debian's `grpc_python_plugin`.

Runs with the python-default resolve (grpcio-tools pinned to grpcio's version): see
keep_codegen/register.py for how Pants calls it.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from google.protobuf import descriptor_pb2
from google.protobuf.compiler import plugin_pb2
from grpc_tools import protoc


def generate(request: plugin_pb2.CodeGeneratorRequest) -> plugin_pb2.CodeGeneratorResponse:
    response = plugin_pb2.CodeGeneratorResponse(
        # The stubs only name services and message types: field presence does not matter.
        supported_features=plugin_pb2.CodeGeneratorResponse.FEATURE_PROTO3_OPTIONAL,
    )
    with tempfile.TemporaryDirectory(prefix="protoc-gen-grpc-") as tmp:
        descriptors = Path(tmp, "request.binpb")
        descriptors.write_bytes(
            descriptor_pb2.FileDescriptorSet(file=request.proto_file).SerializeToString()
        )
        out = Path(tmp, "out")
        out.mkdir()
        # The request's parameter (protoc's `--grpc_out=<parameter>:<dir>`) passes through.
        target = f"{request.parameter}:{out}" if request.parameter else str(out)
        status = protoc.main(
            [
                "grpc_tools.protoc",
                f"--descriptor_set_in={descriptors}",
                f"--grpc_python_out={target}",
                *request.file_to_generate,
            ]
        )
        if status != 0:
            response.error = f"grpc_tools.protoc exited with {status} (its message is above)"
            return response
        for path in sorted(p for p in out.rglob("*") if p.is_file()):
            response.file.add(name=path.relative_to(out).as_posix(), content=path.read_text())
    return response


def main() -> None:
    request = plugin_pb2.CodeGeneratorRequest.FromString(sys.stdin.buffer.read())
    sys.stdout.buffer.write(generate(request).SerializeToString())


if __name__ == "__main__":
    main()
