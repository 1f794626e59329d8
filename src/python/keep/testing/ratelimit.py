"""An in-process ratelimit server on a given Redis and limits file, for tests (real gRPC)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from keep.platform.server import RunningServer, start_server
from keep.ratelimit.main import build
from keep.ratelimit.settings import Settings


async def start_ratelimit(redis_url: str, limits: Path, **overrides: Any) -> RunningServer:
    """`limits`: a limits YAML file (read once: no reloading)."""
    settings = Settings.model_validate(
        {
            "grpc_port": 0,
            "metrics_port": 0,
            "redis_url": redis_url,
            "ratelimit_config": limits,
            "ratelimit_reload_seconds": 0,
            **overrides,
        }
    )
    return await start_server(build(settings), grace=1)
