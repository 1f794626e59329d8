"""Keep's JSON log line: one object per record, the fields Cloud Logging reads.

    {"severity": "INFO", "logger": "keep.datastorage.service", "message": "secret created",
     "service": "datastorage", <extra=... fields>, <trace_id, span_id>,
     "time": "2026-12-01T20:00:00.123456+00:00"}

(on one line). This is the line python-json-logger's JsonFormatter wrote for Keep's
configuration, byte for byte (json_logs_test.py pins it), at about a third of the CPU: every
data-storage request writes one, and that formatter's generic machinery (a field list parsed
from a format string, renames, an encoder object built per record, a datetime object per
timestamp) was most of logging's 12.6 % of data-storage's main thread.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime
import enum
import json
import logging
import math
import traceback
from collections.abc import Iterable
from types import TracebackType
from typing import Any

# A record's own attributes (LogRecord.__init__'s, plus what formatting adds): every other
# attribute came from `extra=` or a filter and is written out.
RECORD_ATTRIBUTES = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message",
    "asctime",
}

_UTC = datetime.UTC


def jsonable(value: Any) -> Any:
    """What a value json cannot encode is written as (an `extra=` datetime, exception, ...)."""
    if isinstance(value, datetime.time | datetime.date):  # datetime is a date
        return value.isoformat()
    if isinstance(value, BaseException):
        return f"{type(value).__name__}: {value}"
    if isinstance(value, TracebackType):
        return "".join(traceback.format_tb(value)).strip()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, enum.EnumMeta):
        members: list[enum.Enum] = list(value)
        return [member.value for member in members]
    if isinstance(value, bytes | bytearray):
        return base64.urlsafe_b64encode(value).decode("utf8")
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, type):
        return value.__name__
    for render in (str, repr):
        try:
            return render(value)
        except Exception:  # noqa: BLE001 - a log line must not fail on an odd value
            pass
    return "__could_not_encode__"


# json.dumps's own defaults (", " and ": ", \u-escaped non-ASCII): the spacing every consumer
# of these lines (tests, `jsonPayload` queries) has seen so far.
_ENCODER = json.JSONEncoder(default=jsonable)
_make_c_encoder = getattr(json.encoder, "c_make_encoder", None)
_string = json.encoder.encode_basestring_ascii  # a str as a JSON string, in C


def _encode(value: Any) -> str:
    """`json.dumps(value, default=jsonable)`."""
    # JSONEncoder.encode builds this same C encoder per call after some Python set-up; calling
    # it directly saves that. A fresh `markers` dict per call keeps its circular-value check.
    if _make_c_encoder is None:
        return _ENCODER.encode(value)
    c_encoder = _make_c_encoder(
        {},
        jsonable,
        _string,
        None,
        _ENCODER.key_separator,
        _ENCODER.item_separator,
        False,
        False,
        True,
    )
    return "".join(c_encoder(value, 0))


class IsoTime:
    """`datetime.fromtimestamp(t, utc).isoformat()`, with the date and time of day made once
    per second instead of once per record."""

    def __init__(self) -> None:
        self._second: tuple[int, str] = (-1, "")

    def __call__(self, timestamp: float) -> str:
        if timestamp < 0:
            return datetime.datetime.fromtimestamp(timestamp, _UTC).isoformat()
        second = int(timestamp)
        # fromtimestamp's rounding: the fraction to whole microseconds, halves to even.
        micros = round((timestamp - second) * 1e6)
        if micros >= 1_000_000:
            second, micros = second + 1, micros - 1_000_000
        cached_second, prefix = self._second  # one tuple: threads see a consistent pair
        if second != cached_second:
            prefix = datetime.datetime.fromtimestamp(second, _UTC).isoformat()[:-6]
            self._second = (second, prefix)
        return "%s.%06d+00:00" % (prefix, micros) if micros else prefix + "+00:00"


def _value(value: Any) -> str:
    """`_encode(value)`, without building an encoder for the usual str, int and float."""
    kind = type(value)
    if kind is str:
        return _string(value)
    if kind is int or (kind is float and math.isfinite(value)):
        return repr(value)  # what json's encoder writes for an exact int or finite float
    return _encode(value)


# Extras under these names replace the field in place (as a dict would): the slow path.
_FIELDS = frozenset({"severity", "logger", "message", "service", "time"})


class JsonLines(logging.Formatter):
    """Formats a record as Keep's JSON log line (module docstring)."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self._service = service
        self._service_field = ', "service": ' + _string(service)
        self._time = IsoTime()

    def format(self, record: logging.LogRecord) -> str:
        # The usual record (a message, maybe extras and trace ids) is written piece by piece
        # (`line`). Anything else goes through a dict and json's C encoder, as the library's
        # formatter did.
        if (
            isinstance(record.msg, dict)
            or record.exc_info
            or record.exc_text
            or record.stack_info
            or not isinstance(record.levelname, str)
            or not isinstance(record.name, str)
        ):
            return self._format_as_dict(record)
        record.message = record.getMessage()
        fields = record.__dict__.items()
        line = self.line(record.levelname, record.name, record.message, fields, record.created)
        return self._format_as_dict(record) if line is None else line

    def line(
        self,
        severity: str,
        logger: str,
        message: str,
        fields: Iterable[tuple[Any, Any]],
        created: float,
    ) -> str | None:
        """The line of a record with these attributes (`fields`: its `__dict__` items; a
        record's own attributes are skipped), or None when a field must go through the dict
        (a key that is not a str, or is named like a line field)."""
        # No dict, no encoder object: each string is escaped by json's C function.
        parts = [
            '{"severity": ',
            _string(severity),
            ', "logger": ',
            _string(logger),
            ', "message": ',
            _string(message),
            self._service_field,
        ]
        for key, value in fields:
            if key in RECORD_ATTRIBUTES:
                continue
            if not isinstance(key, str) or key in _FIELDS:
                return None
            if key[:1] != "_":
                parts += (", ", _string(key), ": ", _value(value))
        parts.append(', "time": "' + self._time(created) + '"}')
        return "".join(parts)

    def _format_as_dict(self, record: logging.LogRecord) -> str:
        # A dict logged as the message (`log.info({...})`) becomes fields, with an empty message.
        fields: dict[str, Any] | None = None
        if isinstance(record.msg, dict):
            fields = record.msg.copy()
            record.message = ""
        else:
            record.message = record.getMessage()
        line: dict[str, Any] = {
            "severity": record.levelname,
            "logger": record.name,
            "message": record.message,
            "service": self._service,
        }
        if record.exc_info or record.exc_text or record.stack_info:
            fields = self._exception_fields(record, fields or {})
        if fields:
            line.update(fields)
        for key, value in record.__dict__.items():
            if key not in RECORD_ATTRIBUTES and not (isinstance(key, str) and key[:1] == "_"):
                line[key] = value
        line["time"] = self._time(record.created)
        return _encode(line)

    def _exception_fields(
        self, record: logging.LogRecord, fields: dict[str, Any]
    ) -> dict[str, Any]:
        # Fields a dict message already has win over the record's.
        if record.exc_info and not fields.get("exc_info"):
            fields["exc_info"] = self.formatException(record.exc_info)
        if not fields.get("exc_info") and record.exc_text:
            fields["exc_info"] = record.exc_text
        if record.stack_info and not fields.get("stack_info"):
            fields["stack_info"] = self.formatStack(record.stack_info)
        return fields
