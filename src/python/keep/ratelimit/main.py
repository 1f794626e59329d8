"""Entry point: `python -m keep.ratelimit.main` (or the ratelimit PEX)."""

from __future__ import annotations

import logging
import sys

import grpc
from envoy.service.ratelimit.v3 import rls_pb2_grpc

from keep.platform.logs import configure_logging
from keep.platform.server import GrpcService, run
from keep.platform.settings import SettingsError, load_settings
from keep.ratelimit.config import LimitsConfigError, load_limits
from keep.ratelimit.counter import RedisCounter
from keep.ratelimit.service import SERVICE_NAME, RateLimitServicer
from keep.ratelimit.settings import Settings

log = logging.getLogger("keep.ratelimit")  # not "__main__" when run as the entry point


def build(settings: Settings) -> GrpcService:
    config = load_limits(settings.ratelimit_config)
    counter = RedisCounter.from_url(settings.redis_url, settings.redis_timeout_seconds)
    servicer = RateLimitServicer(config, counter)

    def register(server: grpc.aio.Server) -> None:
        rls_pb2_grpc.add_RateLimitServiceServicer_to_server(servicer, server)

    log.info("limits loaded", extra={"domain": config.domain, "rules": len(config.descriptors)})
    return GrpcService(
        name="ratelimit",
        port=settings.grpc_port,
        register=register,
        service_names=[SERVICE_NAME],
        readiness=counter.ping,
        cleanup=counter.close,
    )


def main() -> None:
    try:
        settings = load_settings(Settings)
        load_limits(settings.ratelimit_config)  # fail before serving, with a readable message
    except (SettingsError, LimitsConfigError) as e:
        configure_logging("ratelimit")
        log.error("cannot start: %s", e)
        print(e, file=sys.stderr)
        sys.exit(2)
    run("ratelimit", settings, lambda: build(settings))


if __name__ == "__main__":
    main()
