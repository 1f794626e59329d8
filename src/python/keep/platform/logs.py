"""JSON structured logs on stdout: one object per line, ready for Cloud Logging."""

from __future__ import annotations

import logging
import sys

from pythonjsonlogger.json import JsonFormatter

from keep.platform.settings import log_level_number
from keep.platform.tracing import TraceIds

# Cloud Logging reads `severity` and an ISO 8601 `time`.
_RENAMED = {"levelname": "severity", "name": "logger"}


def configure_logging(service: str, level: str = "INFO") -> None:
    """Routes all logging through one JSON handler tagged with the service name."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(
        JsonFormatter(
            "%(levelname)s %(name)s %(message)s",
            rename_fields=_RENAMED,
            static_fields={"service": service},
            timestamp="time",
        )
    )
    handler.addFilter(TraceIds())  # one request's lines share a trace_id across services
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(log_level_number(level))


def redact_id(secret_id: str) -> str:
    """Enough of an id to correlate log lines, too little to look the secret up."""
    return secret_id[:6] + "…" if len(secret_id) > 6 else "…"
