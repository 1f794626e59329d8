"""Benchmark: each service image's size, split into base, third-party layer and Keep's code.

    ./pants package src/python/keep::  &&  ./pants run src/python/keep/bench:image-size

python_service() (build-support/macros) builds every service image as the base plus two layers
copied into /app/venv: the third-party venv, then Keep's code. A code-only change ships only the
last one, so both are printed. Sizes are uncompressed, in MB of 10^6 bytes, as `docker image ls`
and `docker history` show them.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import docker

from keep.bench.image_layers import split
from keep.release import docker_info

SERVICES = ("datastorage", "gateway", "ratelimit")
TARGET_MB = 100.0


def mb(size: int) -> str:
    return f"{size / 1e6:.1f} MB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dist", type=Path, default=Path("dist"))
    args = parser.parse_args()
    client = docker.from_env()
    print(f"{'image':<12} {'total':>9} {'base':>9} {'third-party':>12} {'code':>9}")
    for name in SERVICES:
        image = docker_info.load(args.dist.resolve(), f"src/python/keep/{name}:image").image_id
        layers = split(client.api.history(image))
        verdict = "ok" if layers.total <= TARGET_MB * 1e6 else f"over {TARGET_MB:.0f} MB"
        print(
            f"{name:<12} {mb(layers.total):>9} {mb(layers.base):>9} {mb(layers.third_party):>12}"
            f" {mb(layers.code):>9}  {verdict}"
        )


if __name__ == "__main__":
    main()
