"""TLS (optionally mutual) for gRPC servers and clients, from mounted PEM files that are
re-read when they change (cert-manager and Kubernetes Secret volumes rotate them in place).

Server: `server_credentials` gives gRPC a fetcher that it calls on every new handshake; the
fetcher returns a new configuration only when a file changed, so a rotated certificate is used
from the next connection on, without a restart. Client: `client_channel` returns a channel that
checks the files at most once per `CHECK_INTERVAL_SECONDS` and, when they changed, opens a new
secure channel for new calls while calls in flight finish on the old one.
Without TLS files both are the plain insecure server port and channel (the devstack default).
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc

from keep.platform.dapr import APP_ID_METADATA
from keep.platform.settings import ServiceSettings
from keep.platform.traced_channel import TracedChannel

log = logging.getLogger(__name__)

CHECK_INTERVAL_SECONDS = 1.0
# A replaced client channel lets its calls in flight finish for this long, then closes.
RETIRED_CHANNEL_GRACE_SECONDS = 30.0

Options = Sequence[tuple[str, Any]]


@dataclass(frozen=True)
class TlsFiles:
    """PEM files. `cert`/`key`: this process's identity (server certificate; client certificate
    for mutual TLS). `ca`: the CA that signs the peers (clients: servers'; servers: clients')."""

    cert: Path | None = None
    key: Path | None = None
    ca: Path | None = None
    require_client_cert: bool = False

    def paths(self) -> list[Path]:
        return [p for p in (self.cert, self.key, self.ca) if p is not None]


def server_tls(settings: ServiceSettings) -> TlsFiles | None:
    """What a gRPC server serves with: TLS when it has a certificate, else plaintext."""
    if settings.grpc_tls_cert_file is None:
        return None
    return TlsFiles(
        settings.grpc_tls_cert_file,
        settings.grpc_tls_key_file,
        settings.grpc_tls_ca_file,
        settings.grpc_tls_require_client_cert,
    )


def client_tls(settings: ServiceSettings) -> TlsFiles | None:
    """What a client connects with: TLS when it knows the servers' CA, else plaintext."""
    if settings.grpc_tls_ca_file is None:
        return None
    return TlsFiles(
        settings.grpc_tls_cert_file, settings.grpc_tls_key_file, settings.grpc_tls_ca_file
    )


def tls_env(files: TlsFiles) -> dict[str, str]:
    """The environment that makes a service's settings describe `files` (for launchers)."""
    env = {
        "GRPC_TLS_CERT_FILE": files.cert,
        "GRPC_TLS_KEY_FILE": files.key,
        "GRPC_TLS_CA_FILE": files.ca,
        "GRPC_TLS_REQUIRE_CLIENT_CERT": "true" if files.require_client_cert else None,
    }
    return {name: str(value) for name, value in env.items() if value is not None}


def _fingerprint(paths: Sequence[Path]) -> tuple[tuple[int, int, int], ...]:
    # stat() follows symlinks: a Secret volume swaps its `..data` link, changing the inode.
    stats = [os.stat(p) for p in paths]
    return tuple((s.st_ino, s.st_mtime_ns, s.st_size) for s in stats)


class _Watched:
    """Tells whether a set of files changed since the last time it was asked."""

    def __init__(self, paths: Sequence[Path]):
        self._paths = list(paths)
        self._seen = _fingerprint(self._paths)

    def changed(self) -> bool:
        try:
            now = _fingerprint(self._paths)
        except OSError:  # mid-rotation: a file is briefly missing; keep what works
            return False
        if now == self._seen:
            return False
        self._seen = now
        return True


def _read(path: Path | None) -> bytes | None:
    return path.read_bytes() if path is not None else None


def _server_config(files: TlsFiles) -> Any:
    assert files.cert is not None and files.key is not None
    return grpc.ssl_server_certificate_configuration(
        [(files.key.read_bytes(), files.cert.read_bytes())], root_certificates=_read(files.ca)
    )


def server_credentials(files: TlsFiles) -> grpc.ServerCredentials:
    """Credentials for `add_secure_port`, re-reading the files when they change."""
    if files.cert is None or files.key is None:
        raise ValueError("a TLS server needs a certificate and a key")
    watched = _Watched(files.paths())

    def fetch() -> Any:
        if not watched.changed():
            return None  # keep the current configuration
        try:
            config = _server_config(files)
        except OSError:
            log.exception("cannot read the rotated TLS files; keeping the previous ones")
            return None
        log.info("TLS certificate files changed: new connections use them")
        return config

    return grpc.dynamic_ssl_server_credentials(
        _server_config(files), fetch, require_client_authentication=files.require_client_cert
    )


def channel_credentials(files: TlsFiles) -> grpc.ChannelCredentials:
    return grpc.ssl_channel_credentials(
        root_certificates=_read(files.ca),
        private_key=_read(files.key),
        certificate_chain=_read(files.cert),
    )


def client_channel(
    address: str, files: TlsFiles | None, options: Options = (), dapr_app_id: str | None = None
) -> grpc.aio.Channel:
    """A grpc.aio channel to `address`: plaintext when `files` is None, else TLS verified
    against `files.ca` (with the client certificate when cert and key are set). With
    `dapr_app_id`, `address` is the local Dapr sidecar and every call names the target app
    (the sidecars encrypt the hop between them: no TLS files then)."""
    if dapr_app_id is not None:
        plain = grpc.aio.insecure_channel(address, options=list(options))
        return TracedChannel(plain, [(APP_ID_METADATA, dapr_app_id)])
    if files is None:
        return TracedChannel(grpc.aio.insecure_channel(address, options=list(options)))
    return ReloadingChannel(address, files, options)


class ReloadingChannel(grpc.aio.Channel):
    """A secure channel that is replaced when its TLS files change. Stubs keep working: the
    callables they hold look up the current channel on every call."""

    def __init__(self, address: str, files: TlsFiles, options: Options = ()):
        self._address = address
        self._files = files
        self._options = list(options)
        self._watched = _Watched(files.paths())
        self._channel = self._open()
        self._next_check = time.monotonic() + CHECK_INTERVAL_SECONDS
        self._retiring: set[asyncio.Task[None]] = set()

    def _open(self) -> grpc.aio.Channel:
        credentials = channel_credentials(self._files)
        return TracedChannel(grpc.aio.secure_channel(self._address, credentials, self._options))

    def current(self) -> grpc.aio.Channel:
        now = time.monotonic()
        if now >= self._next_check:
            self._next_check = now + CHECK_INTERVAL_SECONDS
            if self._watched.changed():
                self._replace()
        return self._channel

    def _replace(self) -> None:
        try:
            fresh = self._open()
        except OSError:
            log.exception("cannot read the rotated TLS files; keeping the previous channel")
            return
        old, self._channel = self._channel, fresh
        log.info("TLS files changed: new calls use a new channel", extra={"peer": self._address})
        task = asyncio.get_running_loop().create_task(old.close(RETIRED_CHANNEL_GRACE_SECONDS))
        self._retiring.add(task)
        task.add_done_callback(self._retiring.discard)

    def unary_unary(self, method: str, *args: Any, **kwargs: Any) -> Any:
        return _Call(self, "unary_unary", method, args, kwargs)

    def unary_stream(self, method: str, *args: Any, **kwargs: Any) -> Any:
        return _Call(self, "unary_stream", method, args, kwargs)

    def stream_unary(self, method: str, *args: Any, **kwargs: Any) -> Any:
        return _Call(self, "stream_unary", method, args, kwargs)

    def stream_stream(self, method: str, *args: Any, **kwargs: Any) -> Any:
        return _Call(self, "stream_stream", method, args, kwargs)

    def get_state(self, try_to_connect: bool = False) -> grpc.ChannelConnectivity:
        return self.current().get_state(try_to_connect)

    async def wait_for_state_change(self, last_observed_state: grpc.ChannelConnectivity) -> None:
        await self.current().wait_for_state_change(last_observed_state)

    async def channel_ready(self) -> None:
        await self.current().channel_ready()

    async def close(self, grace: float | None = None) -> None:
        await self._channel.close(grace)
        for task in list(self._retiring):
            task.cancel()

    async def __aenter__(self) -> ReloadingChannel:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close(None)


class _Call:
    """A stub's multi-callable, bound to whichever channel is current when it is called."""

    def __init__(
        self,
        owner: ReloadingChannel,
        kind: str,
        method: str,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ):
        self._owner, self._kind, self._method = owner, kind, method
        self._args, self._kwargs = args, kwargs
        self._channel: grpc.aio.Channel | None = None
        self._bound: Callable[..., Any] | None = None

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        channel = self._owner.current()
        if channel is not self._channel or self._bound is None:
            factory = getattr(channel, self._kind)
            self._bound = factory(self._method, *self._args, **self._kwargs)
            self._channel = channel
        return self._bound(*args, **kwargs)
