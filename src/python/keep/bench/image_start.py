"""Benchmark: container start to ready for each service image Pants built.

    ./pants package src/python/keep::  &&  ./pants run src/python/keep/bench:image-start

Starts each image several times the way Kubernetes runs it (private network with Redis and the
peers it calls, read-only root, non-root) and prints how long it takes from `docker run` until
the service is ready: gRPC health `readiness` SERVING, or the gateway's /readyz answering 200.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from docker.models.networks import Network

from keep.devstack import stack as devstack
from keep.platform.health import wait_until_serving
from keep.platform.waiting import wait_until
from keep.release import docker_info
from keep.testing.images import Running, private_network, run
from keep.testing.redis_container import REDIS_IMAGE

REDIS_ENV = {"REDIS_URL": "redis://redis:6379/0"}
GATEWAY_ENV = {"DATASTORAGE_ADDRESS": "datastorage:50051", "RATELIMIT_ADDRESS": "ratelimit:50052"}


def wait_for_gateway(port: int, timeout: float = 30) -> None:
    wait_until(
        lambda: devstack.http_ready(port),
        what=f"gateway on port {port}",
        timeout=timeout,
        interval=0.02,
    )


def grpc_ready(port: int) -> Callable[[Running], object]:
    return lambda c: wait_until_serving(f"127.0.0.1:{c.host_port(port)}", timeout=30)


def http_ready(port: int) -> Callable[[Running], object]:
    return lambda c: wait_for_gateway(c.host_port(port))


# name -> (environment, port to publish, readiness probe)
SERVICES: dict[str, tuple[dict[str, str], int, Callable[[Running], object]]] = {
    "datastorage": (REDIS_ENV, 50051, grpc_ready(50051)),
    "ratelimit": (REDIS_ENV, 50052, grpc_ready(50052)),
    "gateway": (GATEWAY_ENV, 8080, http_ready(8080)),
    # As Knative Serving starts it: the port comes in $PORT (here 8081, so a gateway that ignored
    # it would never answer); ready = the first request answered, i.e. the cold start a request
    # waiting in Knative's activator sees once the pod runs (scheduling and image pull excluded).
    "gateway-knative": ({**GATEWAY_ENV, "PORT": "8081"}, 8081, http_ready(8081)),
}


def image_of(dist: Path, name: str) -> str:
    return docker_info.load(dist, f"src/python/keep/{name}:image").image_id


def measure(network: Network, image: str, name: str, runs: int) -> list[float]:
    env, port, ready = SERVICES[name]
    seconds = []
    for _ in range(runs):
        started = time.monotonic()
        container = run(image, f"{name}-probe", network, env, [port])
        ready(container)
        seconds.append(time.monotonic() - started)
        container.container.remove(force=True)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--dist", type=Path, default=Path("dist"))
    args = parser.parse_args()
    dist = args.dist.resolve()
    with private_network() as network:
        # The peers the gateway calls, so its readiness (datastorage reachable) can turn true.
        run(REDIS_IMAGE, "redis", network, {}, [])
        for peer in ("datastorage", "ratelimit"):
            run(image_of(dist, peer), peer, network, REDIS_ENV, [])
        for name in SERVICES:
            image = image_of(dist, name.split("-")[0])  # gateway-knative: the gateway's image
            seconds = measure(network, image, name, args.runs)
            print(
                f"{name:<16} docker run -> ready  median {statistics.median(seconds):.2f} s"
                f"  max {max(seconds):.2f} s  ({args.runs} runs)"
            )


if __name__ == "__main__":
    main()
