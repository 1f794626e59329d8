"""The Keep JSON API over stdlib http.client (no dependencies beyond `cryptography`), with
progress for large bodies and every failure turned into a KeepError a person can act on."""

from __future__ import annotations

import base64
import http.client
import json
import re
import secrets
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

from keep.cli.errors import ExitCode, KeepError
from keep.cli.progress import Progress

CHUNK_BYTES = 16 * 1024
USER_AGENT = "keep-cli/1"
IDEMPOTENCY_HEADER = "Idempotency-Key"
# Between repeats of a reveal without a definite answer (the server suggests 5 s for a 503;
# the claim's tombstone lasts far longer, and a person is waiting).
RETRY_WAIT_SECONDS = 1.0


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    def error_message(self) -> str:
        data = self.json()
        if isinstance(data, dict) and isinstance(data.get("error"), dict):
            return str(data["error"].get("message", ""))
        return ""

    def message_with_retry(self, fallback: str) -> str:
        """The server's message, plus when to retry if it sent Retry-After and did not say."""
        message = self.error_message() or fallback
        value = self.headers.get("Retry-After", "")
        if value.isdigit() and f"{value} second" not in message:
            message += f" Try again in {value} seconds."
        return message


class Server:
    def __init__(self, base: str, progress: Progress, timeout: float = 30.0) -> None:
        parts = urlsplit(base.rstrip("/"))
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise KeepError(f"Not a server URL (expected http(s)://HOST[:PORT]): {base!r}")
        self.base = base.rstrip("/")
        self._parts = parts
        self.progress = progress
        self.timeout = timeout

    def create(self, secret: str, ttl_seconds: int | None) -> dict[str, Any]:
        fields: dict[str, Any] = {"secret": secret}
        if ttl_seconds is not None:
            fields["ttl_seconds"] = ttl_seconds
        body = json.dumps(fields).encode()
        reply = self._post("/api/v1/secrets", body, "uploading")
        data = reply.json()
        if reply.status != 201 or not isinstance(data, dict) or "url" not in data:
            raise self._failure(reply, creating=True)
        return data

    def reveal(
        self,
        secret_id: str,
        password: str,
        retries: int = 0,
        on_retry: Callable[[str], None] = lambda _: None,
    ) -> bytes:
        """Repeats a reveal that got no definite answer (503, or a reply lost on the way) up to
        `retries` times with the same Idempotency-Key: if the lost attempt claimed the secret,
        data-storage hands the repeat the same payload instead of "already read"."""
        body = json.dumps({"password": password}).encode()
        path = f"/api/v1/secrets/{quote(secret_id)}/reveal"
        headers = {IDEMPOTENCY_HEADER: secrets.token_urlsafe(16)}
        for attempt in range(retries + 1):
            try:
                reply = self._post(path, body, "downloading", headers)
            except KeepError as e:
                if e.code is not ExitCode.UNAVAILABLE or attempt == retries:
                    raise
                on_retry(f"{e.message} Repeating the same request in {RETRY_WAIT_SECONDS:g} s.")
            else:
                if reply.status != 503 or attempt == retries:
                    break
                on_retry(f"HTTP 503; repeating the same request in {RETRY_WAIT_SECONDS:g} s.")
            time.sleep(RETRY_WAIT_SECONDS)
        data = reply.json()
        if reply.status != 200 or not isinstance(data, dict):
            raise self._failure(reply, creating=False)
        if isinstance(data.get("secret"), str):
            return str(data["secret"]).encode("utf-8")
        return base64.b64decode(str(data.get("secret_base64", "")))

    def _connection(self) -> http.client.HTTPConnection:
        host, port = self._parts.hostname or "", self._parts.port
        if self._parts.scheme == "https":
            return http.client.HTTPSConnection(
                host, port, timeout=self.timeout, context=ssl.create_default_context()
            )
        return http.client.HTTPConnection(host, port, timeout=self.timeout)

    def _post(
        self, path: str, body: bytes, label: str, headers: dict[str, str] | None = None
    ) -> Reply:
        connection = self._connection()
        try:
            connection.putrequest("POST", self._parts.path + path)
            connection.putheader("Content-Type", "application/json")
            connection.putheader("Content-Length", str(len(body)))
            connection.putheader("User-Agent", USER_AGENT)
            for name, value in (headers or {}).items():
                connection.putheader(name, value)
            connection.endheaders()
            sent = 0
            while sent < len(body):
                connection.send(body[sent : sent + CHUNK_BYTES])
                sent = min(len(body), sent + CHUNK_BYTES)
                if label == "uploading":
                    self.progress.update(label, sent, len(body))
            response = connection.getresponse()
            total = int(response.getheader("Content-Length") or 0)
            chunks, received = [], 0
            while chunk := response.read(CHUNK_BYTES):
                chunks.append(chunk)
                received += len(chunk)
                if label == "downloading" and total:
                    self.progress.update(label, received, total)
            return Reply(response.status, response.headers, b"".join(chunks))
        except ssl.SSLError as e:
            raise KeepError(f"TLS with {self.base} failed: {e}", ExitCode.UNAVAILABLE) from None
        except TimeoutError:
            raise KeepError(
                f"The Keep server at {self.base} did not answer within {self.timeout:g} s.",
                ExitCode.UNAVAILABLE,
            ) from None
        except (OSError, http.client.HTTPException) as e:
            reason = getattr(e, "strerror", None) or str(e) or type(e).__name__
            raise KeepError(
                f"Cannot reach the Keep server at {self.base} ({reason}). Is it running? "
                "Choose another with --server URL or $KEEP_URL.",
                ExitCode.UNAVAILABLE,
            ) from None
        finally:
            connection.close()

    def _failure(self, reply: Reply, creating: bool) -> KeepError:
        said = reply.error_message()
        if reply.status == 404 and not creating:
            return KeepError(
                "This secret was already read, has expired, or never existed.", ExitCode.GONE
            )
        if reply.status == 404:
            return KeepError(
                f"{self.base} has no Keep API (HTTP 404): check --server / $KEEP_URL.",
                ExitCode.FAILED,
            )
        if reply.status == 403:
            return KeepError(
                "Wrong password: the link is incomplete or was altered. "
                + "Ask the sender for the whole link.",
                ExitCode.DENIED,
            )
        if reply.status == 413:
            return KeepError(_too_large(said), ExitCode.TOO_LARGE)
        if reply.status == 429:
            return KeepError(reply.message_with_retry("Too many requests."), ExitCode.DENIED)
        if reply.status >= 500:
            return KeepError(
                f"The Keep server failed (HTTP {reply.status}): "
                + reply.message_with_retry("no details."),
                ExitCode.UNAVAILABLE,
            )
        if said:
            return KeepError(f"The Keep server refused it (HTTP {reply.status}): {said}")
        return KeepError(
            f"{self.base} answered HTTP {reply.status} without a Keep error: is it a Keep "
            "server? Check --server / $KEEP_URL."
        )


def _too_large(said: str) -> str:
    from keep.cli.envelope import max_plaintext_bytes

    limit = re.search(r"limit is (\d+) bytes", said)
    if not limit:
        return said or "The secret is too large for this server."
    cap = int(limit.group(1))
    return (
        f"The secret is too large: encrypted, it must fit in {cap} bytes, so at most "
        f"{max_plaintext_bytes(cap)} bytes before encryption (encryption adds a third plus 31 bytes)."
    )
