"""JSON structured logs on stdout: one object per line, ready for Cloud Logging."""

from __future__ import annotations

import logging
import sys

from keep.platform.json_logs import JsonLines
from keep.platform.settings import log_level_number
from keep.platform.tracing import TraceIds


def configure_logging(service: str, level: str = "INFO") -> None:
    """Routes all logging through one JSON handler tagged with the service name."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonLines(service))
    handler.addFilter(TraceIds())  # one request's lines share a trace_id across services
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(log_level_number(level))


def redact_id(secret_id: str) -> str:
    """Enough of an id to correlate log lines, too little to look the secret up."""
    return secret_id[:6] + "…" if len(secret_id) > 6 else "…"
