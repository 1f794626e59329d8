"""A TCP proxy for tests that loses Redis replies on purpose: the command runs, its answer
never arrives in time. Put it between a service and a real Redis to test what the service
does when it cannot know whether its last command happened.

Per connection, a reply is lost with `reply_loss` (or `script_reply_loss` when the request
was a Lua script, the state changes that matter most): half the time held back past
`delay_seconds` (the caller has timed out and hung up by then), half the time dropped with the
connection. A script request is also held back with `script_request_delay` before it is sent
on, so it runs *after* the caller gave up on it.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from dataclasses import dataclass, field


@dataclass
class FaultProxy:
    target_host: str
    target_port: int
    delay_seconds: float
    reply_loss: float = 0.0
    script_reply_loss: float = 0.0
    script_request_delay: float = 0.0
    seed: int = 0
    # What was done, by kind: "delayed_reply", "dropped_reply", "delayed_request".
    faults: Counter[str] = field(default_factory=Counter)
    enabled: bool = False
    port: int = 0
    _server: asyncio.Server | None = None
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)

    async def start(self) -> FaultProxy:
        self._server = await asyncio.start_server(self._connection, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _connection(
        self, client: asyncio.StreamReader, to_client: asyncio.StreamWriter
    ) -> None:
        upstream, to_upstream = await asyncio.open_connection(self.target_host, self.target_port)
        last_was_script = [False]
        tasks = [
            asyncio.create_task(self._requests(client, to_upstream, last_was_script)),
            asyncio.create_task(self._replies(upstream, to_client, last_was_script)),
        ]
        self._tasks.update(tasks)
        try:
            await asyncio.gather(*tasks, return_exceptions=True)
        finally:
            self._tasks.difference_update(tasks)
            for writer in (to_client, to_upstream):
                writer.close()

    def _chance(self, probability: float) -> bool:
        return self.enabled and self._random.random() < probability

    async def _requests(
        self, client: asyncio.StreamReader, to_upstream: asyncio.StreamWriter, last: list[bool]
    ) -> None:
        while data := await client.read(65536):
            last[0] = b"EVALSHA" in data  # redis-py runs every script by its SHA
            if last[0] and self._chance(self.script_request_delay):
                self.faults["delayed_request"] += 1
                await asyncio.sleep(self.delay_seconds)
            to_upstream.write(data)
            await to_upstream.drain()
        to_upstream.close()

    async def _replies(
        self, upstream: asyncio.StreamReader, to_client: asyncio.StreamWriter, last: list[bool]
    ) -> None:
        while data := await upstream.read(65536):
            if self._chance(self.script_reply_loss if last[0] else self.reply_loss):
                if self._random.random() < 0.5:
                    self.faults["dropped_reply"] += 1
                    to_client.close()
                    return
                self.faults["delayed_reply"] += 1
                await asyncio.sleep(self.delay_seconds)
            if to_client.is_closing():
                return
            to_client.write(data)
            await to_client.drain()
        to_client.close()
