"""JSON structured logs on stdout: one object per line, ready for Cloud Logging."""

from __future__ import annotations

import logging
import sys

from keep.platform.json_logs import JsonLines
from keep.platform.settings import log_level_number
from keep.platform.tracing import TraceIds


def configure_logging(service: str, level: str = "INFO") -> None:
    """Routes all logging through one JSON handler tagged with the service name."""
    handler = _LineHandler(sys.stdout)
    handler.setFormatter(JsonLines(service))
    handler.addFilter(TraceIds())  # one request's lines share a trace_id across services
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(log_level_number(level))
    # The lines carry no thread or process fields: records need not look them up (logging's
    # documented switches; about a third of making a record).
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False


class _LineHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """StreamHandler writing one formatted line and flushing it, without the generic steps
    (formatter lookup, a second lock round for the flush): handle() already holds the lock."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.stream.write(self.formatter.format(record) + "\n")  # type: ignore[union-attr]
            self.stream.flush()
        except RecursionError:  # as StreamHandler: a recursion error is not a logging error
            raise
        except Exception:
            self.handleError(record)


def redact_id(secret_id: str) -> str:
    """Enough of an id to correlate log lines, too little to look the secret up."""
    return secret_id[:6] + "…" if len(secret_id) > 6 else "…"
