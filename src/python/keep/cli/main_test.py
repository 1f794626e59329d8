"""`keep send` / `keep get` against the whole stack (real gateway, data-storage, ratelimit and
an embedded redis-server): the server only ever holds the envelope."""

from __future__ import annotations

import io
import os
import re
import stat
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from keep.cli import envelope
from keep.cli.errors import ExitCode
from keep.cli.link import format_fragment, parse_link
from keep.cli.main import main
from keep.devstack.ports import free_port
from keep.devstack.stack import Stack
from keep.testing.lossy_proxy import LoseFirstReply

RETRY_IN = re.compile(r"try again in [0-9]+ seconds", re.IGNORECASE)


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    with Stack(http_port=0, output=subprocess.DEVNULL) as running:
        yield running


@dataclass
class Run:
    code: int
    out: bytes
    err: str


def keep(*argv: str, stdin: bytes = b"") -> Run:
    out, err = io.BytesIO(), io.StringIO()
    code = main(list(argv), stdin=io.BytesIO(stdin), stdout=out, err=err)
    return Run(code, out.getvalue(), err.getvalue())


def send(stack: Stack, secret: bytes, *options: str) -> str:
    sent = keep("--server", stack.url, "send", *options, stdin=secret)
    assert sent.code == ExitCode.OK, sent.err
    return sent.out.decode().strip()


def test_send_then_get_once(stack: Stack) -> None:
    link = send(stack, b"correct horse battery staple")
    parsed = parse_link(link)
    assert link.startswith(f"{stack.url}/{parsed.secret_id}#k1.")
    assert parsed.fragment.key is not None and parsed.fragment.password

    got = keep("get", link)
    assert (got.code, got.out) == (ExitCode.OK, b"correct horse battery staple")

    again = keep("get", link)
    assert again.code == ExitCode.GONE
    assert "already read, has expired, or never existed" in again.err
    assert again.out == b""


def test_a_lost_reply_does_not_lose_the_secret(stack: Stack) -> None:
    link = send(stack, b"survives a lost reply")
    proxy = LoseFirstReply(stack.ports["http"])
    via_proxy = link.replace(f":{stack.ports['http']}/", f":{proxy.port}/", 1)
    try:
        # The first reveal claims the secret but its reply never arrives; the repeat carries the
        # same Idempotency-Key, and data-storage returns the payload it already handed out.
        got = keep("get", via_proxy)
    finally:
        proxy.close()
    assert (got.code, got.out) == (ExitCode.OK, b"survives a lost reply"), got.err
    assert proxy.connections == 2
    assert "Repeating the same request" in got.err
    assert keep("get", link).code == ExitCode.GONE


def test_without_repeats_a_lost_reply_loses_the_secret(stack: Stack) -> None:
    # Why `keep get` repeats with the same key: a fresh request finds the secret already gone.
    link = send(stack, b"lost with its reply")
    proxy = LoseFirstReply(stack.ports["http"])
    try:
        first = keep("get", link.replace(f":{stack.ports['http']}/", f":{proxy.port}/", 1),
                     "--retries", "0")  # fmt: skip
    finally:
        proxy.close()
    assert first.code == ExitCode.UNAVAILABLE
    assert keep("get", link).code == ExitCode.GONE


def test_the_server_holds_only_the_envelope(stack: Stack) -> None:
    link = parse_link(send(stack, b"only the sender and the reader know this"))
    # Everything the server can decrypt with its own password (the curl reveal) is the envelope.
    stored = requests.post(
        f"{stack.url}/{link.secret_id}", data=link.fragment.password, timeout=15
    ).content
    assert stored.startswith(b"k1.")
    assert b"only the sender" not in stored
    assert link.fragment.key is not None
    assert envelope.open_envelope(stored.decode(), link.fragment.key).startswith(b"only the")


def test_binary_file_with_ttl_to_an_output_file(stack: Stack, tmp_path: Path) -> None:
    secret = bytes(range(256)) * 4
    (tmp_path / "in.bin").write_bytes(secret)
    link = send(stack, b"", str(tmp_path / "in.bin"), "--ttl", "10m")
    status_url = f"{stack.url}/api/v1/secrets/{parse_link(link).secret_id}"
    status = requests.get(status_url, timeout=15).json()
    assert status["expires_at"]

    got = keep("get", link, "-o", str(tmp_path / "out.bin"))
    assert (got.code, got.out) == (ExitCode.OK, b"")
    assert (tmp_path / "out.bin").read_bytes() == secret
    assert stat.S_IMODE(os.stat(tmp_path / "out.bin").st_mode) == 0o600


def test_output_file_that_exists_is_refused_before_revealing(stack: Stack, tmp_path: Path) -> None:
    link = send(stack, b"not lost")
    (tmp_path / "taken").write_bytes(b"mine")
    got = keep("get", link, "-o", str(tmp_path / "taken"))
    assert got.code == ExitCode.USAGE
    assert "Nothing was revealed; the link still works" in got.err
    assert (tmp_path / "taken").read_bytes() == b"mine"
    assert keep("get", link, "-o", str(tmp_path / "new")).code == ExitCode.OK
    assert (tmp_path / "new").read_bytes() == b"not lost"


def test_failed_reveal_leaves_no_output_file(stack: Stack, tmp_path: Path) -> None:
    link = send(stack, b"once")
    assert keep("get", link).code == ExitCode.OK
    assert keep("get", link, "-o", str(tmp_path / "out")).code == ExitCode.GONE
    assert not (tmp_path / "out").exists()


def test_progress_on_large_payloads(stack: Stack) -> None:
    secret = os.urandom(40_000)
    sent = keep("--server", stack.url, "--progress", "send", stdin=secret)
    assert sent.code == ExitCode.OK
    assert "uploading" in sent.err and "(100%)" in sent.err
    got = keep("--progress", "get", sent.out.decode().strip())
    assert got.out == secret
    assert "downloading" in got.err and "(100%)" in got.err


def test_the_envelope_overhead_counts_against_the_cap(stack: Stack) -> None:
    largest = envelope.max_plaintext_bytes(65536)  # the stack's MAX_PAYLOAD_BYTES
    assert largest == 49121
    assert keep("get", send(stack, b"a" * largest)).out == b"a" * largest

    too_large = keep("--server", stack.url, "send", stdin=b"a" * (largest + 1))
    assert too_large.code == ExitCode.TOO_LARGE
    assert f"at most {largest} bytes before encryption" in too_large.err


def test_server_from_keep_url(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KEEP_URL", stack.url)
    sent = keep("send", stdin=b"via KEEP_URL")
    assert sent.code == ExitCode.OK
    assert keep("get", sent.out.decode()).out == b"via KEEP_URL"


def test_server_down() -> None:
    down = f"http://127.0.0.1:{free_port()}"
    sent = keep("--server", down, "send", stdin=b"x")
    assert sent.code == ExitCode.UNAVAILABLE
    assert f"Cannot reach the Keep server at {down}" in sent.err
    got = keep("get", f"{down}/abcdef#k1.{envelope.b64url_encode(bytes(32))}.pw")
    assert got.code == ExitCode.UNAVAILABLE


def test_wrong_password_then_locked(stack: Stack) -> None:
    link = parse_link(send(stack, b"guarded"))
    assert link.fragment.key is not None
    wrong = f"{stack.url}/{link.secret_id}#{format_fragment(link.fragment.key, 'wrong')}"
    first = keep("get", wrong)
    assert first.code == ExitCode.DENIED
    assert "Wrong password" in first.err
    # However many wrong passwords data-storage's policy allows (5 today), a lock follows:
    # 429 with the server's message and when to retry.
    for _ in range(12):
        locked = keep("get", wrong)
        if RETRY_IN.search(locked.err):
            break
    assert locked.code == ExitCode.DENIED
    assert RETRY_IN.search(locked.err), locked.err


def test_altered_key_never_yields_plaintext(stack: Stack) -> None:
    link = send(stack, b"tamper-evident")
    head, fragment = link.split("#k1.", 1)
    altered = fragment[:5] + ("B" if fragment[5] != "B" else "C") + fragment[6:]
    got = keep("get", f"{head}#k1.{altered}")
    assert got.code == ExitCode.DAMAGED
    assert "cannot be decrypted" in got.err and "ask the sender" in got.err
    assert got.out == b""


def test_altered_ciphertext_never_yields_plaintext(stack: Stack) -> None:
    key = envelope.new_key()
    sealed = envelope.seal(b"tamper-evident", key)
    altered = sealed[:10] + ("B" if sealed[10] != "B" else "C") + sealed[11:]
    created = requests.post(
        f"{stack.url}/api/v1/secrets", json={"secret": altered}, timeout=15
    ).json()
    got = keep("get", f"{created['url']}#{format_fragment(key, created['password'])}")
    assert got.code == ExitCode.DAMAGED
    assert "cannot be decrypted" in got.err
    assert got.out == b""


def test_damaged_link_is_refused_before_contacting_the_server(stack: Stack) -> None:
    link = send(stack, b"still there")
    got = keep("get", link.replace("#k1.", "#k1.A", 1))
    assert got.code == ExitCode.DAMAGED
    assert "link is damaged" in got.err
    assert keep("get", link).out == b"still there"


def test_opens_a_curl_link(stack: Stack) -> None:
    created = requests.post(stack.url + "/", data="made with curl", timeout=15).json()
    assert keep("get", created["share_url"]).out == b"made with curl"


def test_link_without_password_and_no_terminal(stack: Stack) -> None:
    link = send(stack, b"typed password")
    keyed_only = link.rsplit(".", 1)[0]  # url#k1.KEY: the password travels separately
    got = keep("get", keyed_only)
    assert got.code == ExitCode.USAGE
    assert "no password after #" in got.err
    assert keep("get", link).out == b"typed password"


def test_usage_errors(tmp_path: Path, stack: Stack) -> None:
    missing = keep("--server", stack.url, "send", str(tmp_path / "missing"))
    assert missing.code == ExitCode.USAGE and "Cannot read" in missing.err
    empty = keep("--server", stack.url, "send", stdin=b"")
    assert empty.code == ExitCode.USAGE and "empty" in empty.err
    with pytest.raises(SystemExit) as bad_ttl:
        keep("send", "--ttl", "soon")
    assert bad_ttl.value.code == ExitCode.USAGE
    short_ttl = keep("--server", stack.url, "send", "--ttl", "5s", stdin=b"x")
    assert short_ttl.code == ExitCode.FAILED and "ttl_seconds" in short_ttl.err
