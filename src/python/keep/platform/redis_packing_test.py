"""CommandPacker gives the bytes and errors redis-py's own packer gives, for every kind of
argument."""

from __future__ import annotations

import enum
from typing import Any

import pytest
from redis.asyncio import ConnectionPool
from redis.exceptions import DataError

from keep.platform.redis_packing import CommandPacker


class _Number(enum.IntEnum):
    ONE = 1


COMMANDS: list[tuple[Any, ...]] = [
    ("GET", "k"),
    ("SET", b"k", b"v" * 10_000, "EX", 5),  # larger than redis-py's chunking cut-off
    ("EVALSHA", "f00d", 2, "k1", b"k2", 1.5, -3, 10**30, float("inf")),
    ("GET", "clé ☃"),
    ("GET", memoryview(b"view")),
    ("GET", bytearray(b"array")),  # not hiredis's: redis-py packs it
    ("GET", _Number.ONE),  # an int subclass: redis-py writes its repr
    ("SCRIPT LOAD", "return 1"),  # words in the name are sent as words
    (b"CONFIG GET", "maxmemory"),
    (" GET", "k"),
    ("GET\tX", 1),
    (b"G\tX", 1),  # bytes names split on spaces only, as redis-py does
    ("", "x"),
]


def _packers(encoding: str = "utf-8") -> tuple[CommandPacker, Any]:
    connection = ConnectionPool.from_url(
        "redis://127.0.0.1:1/0", encoding=encoding
    ).make_connection()  # type: ignore[no-untyped-call]  # never connected
    return CommandPacker(connection), connection


@pytest.mark.parametrize("encoding", ["utf-8", "latin-1"])
def test_commands_are_packed_as_redis_py_packs_them(encoding: str) -> None:
    packer, connection = _packers(encoding)
    for _ in range(2):  # the second time with the command names' words known
        for command in COMMANDS:
            if encoding == "latin-1" and command == ("GET", "clé ☃"):
                continue  # not encodable in latin-1; the next test covers errors
            assert packer.pack(command) == b"".join(connection.pack_command(*command)), command


@pytest.mark.parametrize("argument", [True, None, object()])
def test_arguments_redis_cannot_take_are_redis_pys_data_errors(argument: object) -> None:
    packer, _ = _packers()
    with pytest.raises(DataError, match="Invalid input of type"):
        packer.pack(("GET", argument))


def test_text_that_is_not_utf_8_is_an_encoding_error() -> None:
    packer, _ = _packers()
    with pytest.raises(UnicodeEncodeError):
        packer.pack(("GET", "\ud800"))
