"""protoc_gen_grpc_python answers a real protoc request exactly like grpcio-tools' own CLI."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from google.protobuf import descriptor_pb2
from google.protobuf.compiler import plugin_pb2
from grpc_tools import protoc
from keep_codegen.protoc_gen_grpc_python import generate

PROTO = """
syntax = "proto3";
package demo.v1;
import "google/protobuf/empty.proto";
message Ping { optional string text = 1; }
service Echo {
  rpc Say(Ping) returns (Ping);
  rpc Stream(stream Ping) returns (stream google.protobuf.Empty);
}
"""


def _protoc(*args: str) -> None:
    well_known = Path(protoc.__file__).parent / "_proto"
    assert protoc.main(["protoc", f"--proto_path={well_known}", *args]) == 0


@pytest.fixture
def request_for_demo(tmp_path: Path) -> plugin_pb2.CodeGeneratorRequest:
    """The request protoc sends a plugin: the file to generate plus all it imports."""
    (tmp_path / "demo" / "v1").mkdir(parents=True)
    (tmp_path / "demo" / "v1" / "echo.proto").write_text(PROTO)
    descriptors = tmp_path / "set.binpb"
    _protoc(
        f"--proto_path={tmp_path}",
        "--include_imports",
        f"--descriptor_set_out={descriptors}",
        "demo/v1/echo.proto",
    )
    files = descriptor_pb2.FileDescriptorSet.FromString(descriptors.read_bytes()).file
    return plugin_pb2.CodeGeneratorRequest(
        file_to_generate=["demo/v1/echo.proto"], proto_file=files
    )


def test_stubs_equal_grpcio_tools_own_output(
    request_for_demo: plugin_pb2.CodeGeneratorRequest, tmp_path: Path
) -> None:
    out = tmp_path / "reference"
    out.mkdir()
    _protoc(f"--proto_path={tmp_path}", f"--grpc_python_out={out}", "demo/v1/echo.proto")

    response = generate(request_for_demo)

    assert not response.error
    assert [f.name for f in response.file] == ["demo/v1/echo_pb2_grpc.py"]
    reference = (out / "demo" / "v1" / "echo_pb2_grpc.py").read_text()
    assert response.file[0].content == reference
    assert "class EchoStub" in reference and "'/demo.v1.Echo/Stream'" in reference
    assert response.supported_features & plugin_pb2.CodeGeneratorResponse.FEATURE_PROTO3_OPTIONAL


def test_runs_as_a_protoc_plugin_over_stdin_and_stdout(
    request_for_demo: plugin_pb2.CodeGeneratorRequest,
) -> None:
    plugin = Path(__file__).with_name("protoc_gen_grpc_python.py")
    result = subprocess.run(
        [sys.executable, str(plugin)],
        input=request_for_demo.SerializeToString(),
        capture_output=True,
        check=True,
    )
    response = plugin_pb2.CodeGeneratorResponse.FromString(result.stdout)
    assert [f.name for f in response.file] == ["demo/v1/echo_pb2_grpc.py"]


def test_a_request_missing_an_import_is_an_error_not_a_crash(
    request_for_demo: plugin_pb2.CodeGeneratorRequest,
) -> None:
    # Drop google/protobuf/empty.proto: the generator cannot resolve the import.
    del request_for_demo.proto_file[0]

    response = generate(request_for_demo)

    assert "grpc_tools.protoc exited with 1" in response.error
    assert not response.file
