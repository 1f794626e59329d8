"""Entry point: `python -m keep.gateway.main` (or the gateway PEX)."""

from __future__ import annotations

import asyncio
import logging
import sys

from aiohttp import web

from keep.gateway.app import create_app
from keep.gateway.security import add_headers_to_every_response
from keep.gateway.settings import Settings
from keep.gateway.state import GATEWAY
from keep.platform.gc_tuning import tune_for_serving
from keep.platform.logs import configure_logging
from keep.platform.metrics import start_metrics_server
from keep.platform.server import shutdown_signal
from keep.platform.settings import SettingsError, load_settings
from keep.platform.tracing import configure_tracing

log = logging.getLogger("keep.gateway")  # not "__main__" when run as the entry point

LINGER_SECONDS = 1.0


async def serve(settings: Settings) -> None:
    stopping = shutdown_signal()
    app = create_app(settings)
    runner = web.AppRunner(
        app,
        access_log=None,  # our middleware logs, without ids or bodies
        shutdown_timeout=settings.shutdown_grace_seconds,
        # After an early 413/408 the unread rest of a body is drained for at most this long
        # (so the client can still read the answer), then the connection is closed.
        lingering_time=LINGER_SECONDS,
    )
    await runner.setup()
    add_headers_to_every_response(runner, settings.public_url)
    site = web.TCPSite(runner, port=settings.http_port)
    await site.start()
    log.info("serving", extra={"port": settings.http_port})
    sig = await stopping
    log.info("shutdown signal", extra={"signal": sig.name})
    app[GATEWAY].draining = True  # /readyz turns 503 while in-flight requests finish
    await runner.cleanup()
    log.info("stopped")


def main() -> None:
    try:
        settings = load_settings(Settings)
    except SettingsError as e:
        print(e, file=sys.stderr)
        sys.exit(2)
    configure_logging("gateway", settings.log_level)
    configure_tracing("gateway")
    start_metrics_server(settings.metrics_port)
    tune_for_serving()
    asyncio.run(serve(settings))


if __name__ == "__main__":
    main()
