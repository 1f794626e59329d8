"""Benchmark: container start to SERVING for each service image Pants built.

    ./pants package src/python/keep::  &&  ./pants run src/python/keep/bench:image-start

Starts each image several times next to a Redis container (as in Kubernetes: private network,
read-only root, non-root) and prints how long `docker run` takes to report SERVING.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from keep.platform.health import wait_until_serving
from keep.release import docker_info
from keep.testing.images import private_network, run
from keep.testing.redis_container import REDIS_IMAGE

GRPC_SERVICES = {"datastorage": 50051}


def measure(image: str, name: str, port: int, runs: int) -> list[float]:
    seconds = []
    with private_network() as network:
        run(REDIS_IMAGE, "redis", network, {}, [])
        for _ in range(runs):
            started = time.monotonic()
            container = run(image, name, network, {"REDIS_URL": "redis://redis:6379/0"}, [port])
            wait_until_serving(f"127.0.0.1:{container.host_port(port)}", timeout=30)
            seconds.append(time.monotonic() - started)
            container.container.remove(force=True)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--dist", type=Path, default=Path("dist"))
    args = parser.parse_args()
    for name, port in GRPC_SERVICES.items():
        info = docker_info.load(args.dist.resolve(), f"src/python/keep/{name}:image")
        seconds = measure(info.image_id, name, port, args.runs)
        print(
            f"{name:<12} start->SERVING  median {statistics.median(seconds):.2f} s"
            f"  max {max(seconds):.2f} s  ({args.runs} runs)"
        )


if __name__ == "__main__":
    main()
