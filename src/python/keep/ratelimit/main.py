"""Entry point: `python -m keep.ratelimit.main` (or the ratelimit PEX)."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Coroutine
from typing import Any

import grpc
from envoy.service.ratelimit.v3 import rls_pb2_grpc

from keep.platform.logs import configure_logging
from keep.platform.server import GrpcService, run
from keep.platform.settings import SettingsError, load_settings
from keep.ratelimit.config import LimitsConfigError
from keep.ratelimit.counter import RedisCounter
from keep.ratelimit.service import SERVICE_NAME, HeaderNames, RateLimitServicer
from keep.ratelimit.settings import Settings
from keep.ratelimit.sources import LimitsWatcher, load_limits

log = logging.getLogger("keep.ratelimit")  # not "__main__" when run as the entry point


def build(settings: Settings) -> GrpcService:
    limits = load_limits(settings.ratelimit_config, settings.ratelimit_merge_domains)
    counter = RedisCounter.from_url(
        settings.redis_url, settings.redis_timeout_seconds, settings.redis_cluster
    )
    headers = (
        HeaderNames(
            settings.ratelimit_header_limit,
            settings.ratelimit_header_remaining,
            settings.ratelimit_header_reset,
        )
        if settings.ratelimit_response_headers
        else None
    )
    servicer = RateLimitServicer(limits, counter, headers, settings.ratelimit_global_shadow_mode)
    background: list[Callable[[], Coroutine[Any, Any, None]]] = []
    if settings.ratelimit_config is not None and settings.ratelimit_reload_seconds > 0:
        watcher = LimitsWatcher(
            settings.ratelimit_config,
            servicer.replace_limits,
            settings.ratelimit_reload_seconds,
            settings.ratelimit_merge_domains,
        )
        background.append(watcher.run)

    def register(server: grpc.aio.Server) -> None:
        rls_pb2_grpc.add_RateLimitServiceServicer_to_server(servicer, server)

    log.info("limits loaded", extra={"domains": sorted(limits.domains), "rules": limits.rule_count})
    return GrpcService(
        name="ratelimit",
        port=settings.grpc_port,
        register=register,
        service_names=[SERVICE_NAME],
        readiness=counter.ping,
        cleanup=counter.close,
        background=background,
    )


def main() -> None:
    try:
        settings = load_settings(Settings)
        # Fail before serving, with a readable message.
        load_limits(settings.ratelimit_config, settings.ratelimit_merge_domains)
    except (SettingsError, LimitsConfigError) as e:
        configure_logging("ratelimit")
        log.error("cannot start: %s", e)
        print(e, file=sys.stderr)
        sys.exit(2)
    run("ratelimit", settings, lambda: build(settings))


if __name__ == "__main__":
    main()
