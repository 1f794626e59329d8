"""The gRPC stubs Pants generates for Keep's protos come from the locked grpcio-tools.

Before keep_codegen they came from Debian's grpc_python_plugin 1.51, whose output has no version
guard: the guard grpcio-tools writes is what ties the stubs to the grpcio they run with.
"""

from __future__ import annotations

import importlib.metadata
from concurrent.futures import ThreadPoolExecutor

import grpc
import grpc_tools
import pytest
from envoy.service.ratelimit.v3 import rls_pb2_grpc

from keep.datastorage.v1 import datastorage_pb2, datastorage_pb2_grpc


def test_stubs_are_generated_by_the_grpcio_tools_that_matches_grpcio() -> None:
    tools_version = importlib.metadata.version("grpcio-tools")
    assert grpc_tools.__name__ == "grpc_tools"  # the generator is in this resolve
    assert tools_version == grpc.__version__
    for stubs in (datastorage_pb2_grpc, rls_pb2_grpc):
        assert tools_version == stubs.GRPC_GENERATED_VERSION


def test_stubs_route_a_call_through_a_real_server() -> None:
    server = grpc.server(ThreadPoolExecutor(max_workers=1))
    # The generated base servicer itself (abstract in mypy-protobuf's stubs): it answers every
    # method with UNIMPLEMENTED.
    servicer = datastorage_pb2_grpc.DataStorageServiceServicer()  # type: ignore[abstract]
    datastorage_pb2_grpc.add_DataStorageServiceServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = datastorage_pb2_grpc.DataStorageServiceStub(channel)
            with pytest.raises(grpc.RpcError) as raised:
                stub.GetSecretStatus(datastorage_pb2.GetSecretStatusRequest(), timeout=10)
    finally:
        server.stop(None)
    # The generated base servicer's answer: the call reached the registered method.
    assert raised.value.code() == grpc.StatusCode.UNIMPLEMENTED
