"""Automatic pipelining: the Redis commands of all concurrent callers share one connection and
leave in one write per event-loop turn.

A redis-py client writes each command (or pipeline) on its own pooled connection and waits for
its own read, so every command costs a send and a wake-up in the service and in Redis; on a busy
service that was most of a request's CPU time (docs/benchmarks.md). Here the commands of every
caller are packed into one buffer and written once per loop turn, or, while an earlier write is
still unanswered, once its replies are in (so the busier the service, the more each write
carries). Replies come back in order on the one connection and are handed to their callers by
position (Redis answers a connection's commands in the order it sent them). Nothing about a
command changes: same commands, same replies, same exceptions, scripts and pipelines as
redis-py gives them.

Failure behaves like redis-py's: a reply later than the timeout fails the caller with
TimeoutError and closes the connection (the replies behind it are lost with it, so their callers
get ConnectionError, as do callers of a connection Redis closed); the next call reconnects.
Whether a failed command ran is unknown either way: callers repeat only idempotent calls.

Commands that block a connection (WAIT, BLPOP...) or change its state (WATCH, MULTI, SELECT...)
would stall or confuse every other caller on a shared connection; they and transactions keep
using redis-py's own connection pool."""

from __future__ import annotations

import asyncio
import inspect
from collections import deque
from collections.abc import Mapping, Sequence
from typing import Any

import hiredis
from redis._parsers.base import BaseParser
from redis.asyncio import Redis
from redis.asyncio.client import Pipeline
from redis.asyncio.connection import AbstractConnection, ConnectionPool
from redis.client import EMPTY_RESPONSE, NEVER_DECODE
from redis.exceptions import ConnectionError, InvalidResponse, ResponseError, TimeoutError

from keep.platform.redis_packing import CommandPacker

# Commands that must not share a connection (checked on the command name as sent).
_OWN_CONNECTION = frozenset(
    "WAIT WAITAOF BLPOP BRPOP BRPOPLPUSH BLMOVE BLMPOP BZPOPMIN BZPOPMAX BZMPOP XREAD XREADGROUP "
    "SUBSCRIBE PSUBSCRIBE SSUBSCRIBE MONITOR WATCH UNWATCH MULTI EXEC DISCARD SELECT AUTH HELLO "
    "RESET CLIENT QUIT".split()
)
_NOT_ENOUGH_DATA = object()
# Options that redis-py's parse_response consumes itself instead of passing to callbacks.
_PARSER_OPTIONS = frozenset(("keys", EMPTY_RESPONSE, NEVER_DECODE))

Command = Sequence[Any]


# command name as sent -> whether it may share the connection; bounded like the packer's cache
_SHARES: dict[Any, bool] = {}
_MAX_NAMES = 256


def _shares_connection(name: Any) -> bool:
    shares = _SHARES.get(name) if type(name) in (str, bytes) else None
    if shares is None:
        shares = str(name).split(" ", 1)[0].upper() not in _OWN_CONNECTION
        if type(name) in (str, bytes) and len(_SHARES) < _MAX_NAMES:
            _SHARES[name] = shares
    return shares


class _Call:
    __slots__ = ("future", "count", "replies", "sent_at")

    def __init__(self, future: asyncio.Future[list[Any]], count: int, sent_at: float):
        self.future = future
        self.count = count
        self.replies: list[Any] = []
        self.sent_at = sent_at


class _SharedConnection(asyncio.Protocol):
    """One connected socket: queues calls, writes them in batches, matches replies."""

    def __init__(self, connection: AbstractConnection, timeout: float | None):
        self._connection = connection  # redis-py's, which connected and authenticated it
        self._transport: Any = connection._writer.transport  # type: ignore[union-attr]
        self._loop = asyncio.get_running_loop()
        self._timeout = timeout
        self._reader = hiredis.Reader(
            protocolError=InvalidResponse,
            replyError=BaseParser.parse_error,
            notEnoughData=_NOT_ENOUGH_DATA,
        )
        self._calls: deque[_Call] = deque()
        self._out: list[bytes] = []
        self._queued = 0  # calls in _out
        self._unanswered = 0  # calls written whose replies have not all arrived
        self._flush_scheduled = False
        self._timer: asyncio.TimerHandle | None = None
        self.open = True
        # From now on the socket's bytes come here, not to redis-py's stream reader.
        self._transport.set_protocol(self)

    def call(self, packed: Sequence[bytes], count: int) -> asyncio.Future[list[Any]]:
        future = self._loop.create_future()
        if not self.open:  # lost between opening and this call
            future.set_exception(ConnectionError("Connection closed by server."))
            return future
        self._calls.append(_Call(future, count, self._loop.time()))
        self._out.extend(packed)
        self._queued += 1
        if not self._unanswered:
            self._schedule_flush()
        if self._timer is None and self._timeout is not None:
            self._watch()
        return future

    def _schedule_flush(self) -> None:
        """Writes after the callbacks already due this turn (they may add commands). While a
        write is unanswered, the next one waits for its replies, collecting the commands of
        every caller meanwhile: under load, few large writes instead of many small ones."""
        if not self._flush_scheduled:
            self._flush_scheduled = True
            self._loop.call_soon(self._flush)

    def _flush(self) -> None:
        self._flush_scheduled = False
        if self._out and self.open:
            self._transport.write(b"".join(self._out))
            self._unanswered += self._queued
        self._out.clear()
        self._queued = 0

    def data_received(self, data: bytes) -> None:
        reader, calls = self._reader, self._calls
        reader.feed(data)
        try:
            while (reply := reader.gets()) is not _NOT_ENOUGH_DATA:
                call = calls[0]  # IndexError: a reply nobody asked for
                call.replies.append(reply)
                if len(call.replies) == call.count:
                    calls.popleft()
                    self._unanswered -= 1
                    if not call.future.done():  # else its caller was cancelled
                        call.future.set_result(call.replies)
        except (InvalidResponse, IndexError) as e:
            self.close(ConnectionError(f"Redis protocol error: {e}"))
            return
        if self._queued and not self._unanswered:
            self._schedule_flush()

    def connection_lost(self, exc: Exception | None) -> None:
        self.close(ConnectionError("Connection closed by server."))

    def _watch(self) -> None:
        """One timer for all calls: replies come in order, so only the oldest call can be late."""
        self._timer = None
        if not self._calls or not self.open:
            return
        assert self._timeout is not None
        deadline = self._calls[0].sent_at + self._timeout
        if self._loop.time() >= deadline:
            self.close(TimeoutError("Timeout reading from Redis"))
        else:
            self._timer = self._loop.call_at(deadline, self._watch)

    def close(self, error: Exception) -> None:
        """Fails every waiting call with `error` and drops the socket."""
        if not self.open:
            return
        self.open = False
        if self._timer is not None:
            self._timer.cancel()
        for call in self._calls:
            if not call.future.done():
                call.future.set_exception(error)
        self._calls.clear()
        self._out.clear()
        # Closes the transport through redis-py's object, so it holds no open socket either.
        self._connection._close()  # type: ignore[no-untyped-call]


class _Multiplexer:
    """The shared connection, (re)opened on demand through redis-py's connection setup (TLS,
    AUTH, SELECT from the URL)."""

    def __init__(self, pool: ConnectionPool, timeout: float | None):
        self._pool = pool
        # Never connected: encodes commands exactly as redis-py does, with the pool's settings.
        self._packer = CommandPacker(pool.make_connection())  # type: ignore[no-untyped-call]
        self._timeout = timeout
        self._shared: _SharedConnection | None = None
        self._opening: asyncio.Task[_SharedConnection] | None = None

    async def call(self, commands: Sequence[Command]) -> list[Any]:
        shared = self._shared
        if shared is None or not shared.open:
            shared = await self._open()
        pack = self._packer.pack
        return await shared.call([pack(args) for args in commands], len(commands))

    async def _open(self) -> _SharedConnection:
        # One connect for all callers that arrive meanwhile; each of them sees its outcome. A
        # finished one is stale (its waiters were all cancelled before it ended): connect again.
        if self._opening is None or self._opening.done():
            self._opening = asyncio.get_running_loop().create_task(self._connect())
        opening = self._opening
        try:
            return await asyncio.shield(opening)
        finally:
            if opening.done() and self._opening is opening:
                self._opening = None

    async def _connect(self) -> _SharedConnection:
        connection = self._pool.make_connection()  # type: ignore[no-untyped-call]
        await connection.connect()
        self._shared = _SharedConnection(connection, self._timeout)
        return self._shared

    async def aclose(self) -> None:
        if self._shared is not None:
            self._shared.close(ConnectionError("Redis client closed"))
            self._shared = None


def _result(reply: Any, command: Command, options: Mapping[str, Any], callbacks: Any) -> Any:
    """A reply as redis-py's parse_response returns it (errors returned, not raised), or, if
    the command's callback is a coroutine function, what its caller must await for it."""
    if isinstance(reply, ResponseError):
        return options.get(EMPTY_RESPONSE, reply)
    callback = callbacks.get(command[0])
    if callback is None:
        return reply
    if options:
        options = {k: v for k, v in options.items() if k not in _PARSER_OPTIONS}
    return callback(reply, **options)


class PipeliningRedis(Redis):
    """A redis-py asyncio client whose commands and non-transaction pipelines share one
    automatically pipelined connection (see the module docstring)."""

    def __init__(self, connection_pool: ConnectionPool, timeout: float | None):
        super().__init__(connection_pool=connection_pool)
        self.auto_close_connection_pool = True
        self._multiplexer = _Multiplexer(connection_pool, timeout)

    async def execute_command(self, *args: Any, **options: Any) -> Any:
        if not _shares_connection(args[0]):
            return await super().execute_command(*args, **options)  # type: ignore[no-untyped-call]
        (reply,) = await self._multiplexer.call((args,))
        result = _result(reply, args, options, self.response_callbacks)
        if result is not reply and inspect.isawaitable(result):
            result = await result
        if isinstance(result, ResponseError):
            raise result
        return result

    def pipeline(self, transaction: bool = True, shard_hint: str | None = None) -> Pipeline:
        return _Pipeline(
            self._multiplexer, self.connection_pool, self.response_callbacks, transaction,
            shard_hint,
        )  # fmt: skip

    async def aclose(self, close_connection_pool: bool | None = None) -> None:
        await self._multiplexer.aclose()
        await super().aclose(close_connection_pool)


class _Pipeline(Pipeline):
    def __init__(self, multiplexer: _Multiplexer, *args: Any):
        super().__init__(*args)
        self._multiplexer = multiplexer

    async def execute(self, raise_on_error: bool = True) -> list[Any]:
        stack = self.command_stack
        commands = [args for args, _ in stack]
        if self.is_transaction or self.explicit_transaction or self.watching or self.scripts:
            return await super().execute(raise_on_error)
        if not all(_shares_connection(args[0]) for args in commands):
            return await super().execute(raise_on_error)
        if not stack:
            return []
        try:
            replies = await self._multiplexer.call(commands)
        finally:
            await self.reset()  # type: ignore[no-untyped-call]
        results = []
        for reply, (args, options) in zip(replies, stack, strict=True):
            result = _result(reply, args, options, self.response_callbacks)
            if result is not reply and inspect.isawaitable(result):
                result = await result
            results.append(result)
        if raise_on_error:
            self.raise_first_error(stack, results)
        return results
