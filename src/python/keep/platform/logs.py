"""JSON structured logs on stdout: one object per line, ready for Cloud Logging.

Lines logged inside a running event loop are written together once per loop turn (one write
for all the lines of a turn), and `info_line` writes a per-request INFO line without most of
logging's generic machinery. Both were measured in data-storage under `bench:grpc`, where every
request logs one line: about 30 us of CPU per line in the server (cold caches), a tenth of a
request (docs/benchmarks.md, "Fourth pass")."""

from __future__ import annotations

import asyncio
import logging
import sys
import threading
import time
from collections.abc import Mapping
from typing import Any, TextIO

from keep.platform.json_logs import RECORD_ATTRIBUTES, JsonLines
from keep.platform.settings import log_level_number
from keep.platform.tracing import TraceIds, current_trace_ids


def configure_logging(service: str, level: str = "INFO") -> None:
    """Routes all logging through one JSON handler tagged with the service name."""
    handler = _LineHandler(sys.stdout)
    handler.setFormatter(JsonLines(service))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(log_level_number(level))
    # The lines carry no thread or process fields: records need not look them up (logging's
    # documented switches; about a third of making a record).
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False


def info_line(logger: logging.Logger, message: str, fields: Mapping[str, Any]) -> None:
    """`logger.info(message, extra=fields)`: the same line, and for any other logging set-up
    the same record through the same levels, filters and handlers. When the line can only go
    to configure_logging's handler (no other handler or filter on the way, its JSON formatter),
    it is written without a LogRecord, the caller's frame lookup and the handler chain: a fifth
    of the CPU, for lines a service writes per request."""
    if not logger.isEnabledFor(logging.INFO):
        return
    handler = _sole_handler(logger)
    if handler is None or not handler.write_info(logger.name, message, fields):
        logger.info(message, extra=fields, stacklevel=2)  # the line (or error) logging makes


def _sole_handler(logger: logging.Logger) -> _LineHandler | None:
    """The handler an INFO record of `logger` would reach, if it is the only one, is
    configure_logging's as it made it, and no filter is on the way (Logger.callHandlers)."""
    if logger.disabled:
        return None
    found = None
    current: logging.Logger | None = logger
    while current is not None:
        if current.filters:
            return None
        for handler in current.handlers:
            if found is not None or type(handler) is not _LineHandler:
                return None
            found = handler
        current = current.parent if current.propagate else None
    if found is None or found.level > logging.INFO or not found.only_its_own_filter():
        return None
    return found


class _LineHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """StreamHandler writing one JSON line per record, without the generic steps (formatter
    lookup, a second lock round for the flush): handle() already holds the lock.

    Inside a running event loop, lines wait in memory until the end of the loop turn and then
    leave in one write: a busy service logs several lines per turn, and a write per line was a
    system call per request. Lines keep their order (a line from outside that loop first writes
    the waiting ones), and flush() writes whatever waits: logging.shutdown() calls it at exit,
    and asyncio.run() runs the loop's last turns before it returns."""

    def __init__(self, stream: TextIO) -> None:
        super().__init__(stream)
        self._trace_ids = TraceIds()  # one request's lines share a trace_id across services
        self.addFilter(self._trace_ids)
        self._waiting: list[str] = []
        self._flushing_on: asyncio.AbstractEventLoop | None = None  # the loop due to write them
        self._flushing_thread = 0  # the thread that loop runs in

    def only_its_own_filter(self) -> bool:
        """No filter but its TraceIds, and its JsonLines formatter: `write_info` writes the
        lines `emit` would."""
        return (
            len(self.filters) == 1
            and self.filters[0] is self._trace_ids
            and type(self.formatter) is JsonLines
        )

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self._write(self.formatter.format(record))  # type: ignore[union-attr]
        except RecursionError:  # as StreamHandler: a recursion error is not a logging error
            raise
        except Exception:
            self.handleError(record)

    def write_info(self, logger: str, message: str, fields: Mapping[str, Any]) -> bool:
        """Writes the line `emit` would write for `logging.getLogger(logger).info(message,
        extra=fields)` made now, through the TraceIds filter. False, having written nothing,
        where the record would differ (fields logging refuses, or that replace the trace ids
        or a line field) or the line cannot be formatted: the caller logs it the usual way."""
        if not RECORD_ATTRIBUTES.isdisjoint(fields):
            return False  # logging refuses to make such a record (KeyError)
        items: Any = fields.items()
        ids = current_trace_ids()
        if ids is not None:
            if "trace_id" in fields or "span_id" in fields:
                return False  # the filter overwrites them in place: not this order
            items = (*items, ("trace_id", ids[0]), ("span_id", ids[1]))
        formatter: JsonLines = self.formatter  # type: ignore[assignment]
        severity = logging.getLevelName(logging.INFO)
        try:
            line = formatter.line(severity, logger, message, items, time.time())
        except Exception:  # noqa: BLE001 - logged again the usual way, which reports it
            return False
        if line is None:
            return False
        with self.lock:  # type: ignore[union-attr]
            try:
                self._write(line)
            except Exception:  # noqa: BLE001 - as emit(): reported, never raised
                self.handleError(logging.makeLogRecord({"msg": message, "name": logger}))
        return True

    def _write(self, line: str) -> None:
        """Writes `line` now, or at the end of the running loop's turn (class docstring)."""
        waiting = self._waiting
        flushing_on = self._flushing_on
        # A loop that runs in this thread is its running loop: checking that avoids
        # get_running_loop(), which makes a system call (getpid) in Python 3.11.
        if (
            waiting
            and flushing_on is not None
            and self._flushing_thread == threading.get_ident()
            and flushing_on.is_running()
        ):
            waiting.append(line)
            return
        try:
            loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        if loop is None or (waiting and loop is not flushing_on):
            if waiting:
                self._write_waiting()
            self.stream.write(line + "\n")
            self.stream.flush()
            return
        waiting.append(line)
        if len(waiting) == 1:
            self._flushing_on, self._flushing_thread = loop, threading.get_ident()
            loop.call_soon(self._flush_turn)

    def _write_waiting(self) -> None:
        waiting = self._waiting
        try:
            self.stream.write("\n".join(waiting) + "\n")
        finally:
            waiting.clear()  # written, or lost with the error the caller reports
            self._flushing_on = None

    def _flush_turn(self) -> None:
        """The end of a loop turn: the lines that waited for it leave in one write."""
        try:
            self.flush()
        except Exception:
            # A failed write must not reach the loop's exception handler: it would log it here.
            self.handleError(logging.makeLogRecord({"msg": "log lines lost"}))

    def flush(self) -> None:
        with self.lock:  # type: ignore[union-attr]
            if self._waiting:
                self._write_waiting()
            if self.stream and hasattr(self.stream, "flush"):
                self.stream.flush()


def redact_id(secret_id: str) -> str:
    """Enough of an id to correlate log lines, too little to look the secret up."""
    return secret_id[:6] + "…" if len(secret_id) > 6 else "…"
