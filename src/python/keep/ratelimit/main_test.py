import signal
import subprocess
import sys
import time
from pathlib import Path

import grpc
from envoy.extensions.common.ratelimit.v3 import ratelimit_pb2
from envoy.service.ratelimit.v3 import rls_pb2, rls_pb2_grpc

from keep.devstack.ports import free_port
from keep.devstack.processes import python_env
from keep.ratelimit import main
from keep.testing.redis_container import redis_container


def _run(env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", main.__name__],
        env=python_env(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_a_bad_limits_file_stops_start_up_with_a_clear_message(tmp_path: Path) -> None:
    limits = tmp_path / "limits.yaml"
    limits.write_text("domain: keep\ndescriptors:\n  - key: a\n    rate_limit: {unit: fortnight}\n")
    process = _run({"RATELIMIT_CONFIG": str(limits), "GRPC_PORT": "0", "METRICS_PORT": "0"})
    _, err = process.communicate(timeout=30)
    assert process.returncode == 2
    assert f"{limits}: invalid limits:" in err
    assert "descriptors.0.rate_limit.unit: invalid rate limit unit 'fortnight'" in err


def test_the_process_serves_the_envoy_api_and_stops_on_sigterm() -> None:
    port = free_port()
    with redis_container() as redis:
        process = _run(
            {"REDIS_URL": redis.url, "GRPC_PORT": str(port), "METRICS_PORT": str(free_port())}
        )
        try:
            request = rls_pb2.RateLimitRequest(
                domain="keep",
                descriptors=[
                    ratelimit_pb2.RateLimitDescriptor(
                        entries=[ratelimit_pb2.RateLimitDescriptor.Entry(key="a", value="b")]
                    )
                ],
            )
            with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
                grpc.channel_ready_future(channel).result(timeout=30)
                # The full method name Envoy and Emissary call.
                call = channel.unary_unary(
                    "/envoy.service.ratelimit.v3.RateLimitService/ShouldRateLimit",
                    request_serializer=rls_pb2.RateLimitRequest.SerializeToString,
                    response_deserializer=rls_pb2.RateLimitResponse.FromString,
                )
                response = call(request, timeout=5)
                assert response.overall_code == rls_pb2.RateLimitResponse.Code.OK
                assert rls_pb2_grpc.RateLimitServiceStub(channel) is not None
            time.sleep(0.1)
        finally:
            process.send_signal(signal.SIGTERM)
            out, _ = process.communicate(timeout=30)
        assert process.returncode == 0
        assert '"message": "stopped"' in out
