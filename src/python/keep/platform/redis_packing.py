"""Redis commands encoded as redis-py encodes them, the common case by hiredis's C packer.

redis-py's asyncio connection packs every command in Python (a join per argument, its encoder
called per argument): in data-storage under `bench:grpc` that was a quarter of the pipelined
client's own CPU time per call. `hiredis.pack_command` writes the same RESP bytes for the
arguments it knows (bytes, str as UTF-8, exact ints and floats by their repr); for anything
else (bool, None, bytearray, int subclasses, other encodings...) the command goes through
redis-py's own packer, so its bytes and its errors (DataError) stay redis-py's."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import hiredis
from redis.asyncio.connection import AbstractConnection

# Command names come from code, so few; this only bounds the cache against odd callers.
_MAX_NAMES = 256
_UNKNOWN = object()


class CommandPacker:
    """Packs commands for `connection`'s settings (its encoding); never connects it."""

    def __init__(self, connection: AbstractConnection):
        self._connection = connection
        encoder = connection.encoder
        # hiredis encodes str as strict UTF-8 only.
        self._native = encoder.encoding.lower().replace("_", "-") in ("utf-8", "utf8") and (
            encoder.encoding_errors == "strict"
        )
        # command name -> its words when it has several ('SCRIPT LOAD'), None when it is one
        self._words: dict[str | bytes, tuple[bytes, ...] | None] = {}

    def pack(self, args: Sequence[Any]) -> bytes:
        """The bytes redis-py would send for `args` (a command name, then its arguments)."""
        name = args[0]
        kind = type(name)
        if self._native and (kind is str or kind is bytes):
            known = self._words.get(name, _UNKNOWN)
            words = self._words_of(name) if known is _UNKNOWN else known
            try:
                packed: bytes = hiredis.pack_command(
                    tuple(args) if words is None else words + tuple(args[1:])  # type: ignore[operator]
                )
                return packed
            except (TypeError, UnicodeError):
                pass  # an argument hiredis does not pack as redis-py does: redis-py decides
        return b"".join(self._connection.pack_command(*args))

    def _words_of(self, name: str | bytes) -> tuple[bytes, ...] | None:
        # As redis-py: arguments written into the name ('CONFIG GET') are sent as words.
        if isinstance(name, str):
            encoded = name.encode()
            words = tuple(encoded.split())
        else:
            encoded = name
            words = tuple(name.split()) if b" " in name else (name,)
        one_word = words == (encoded,)
        if len(self._words) < _MAX_NAMES:
            self._words[name] = None if one_word else words
        return None if one_word else words
