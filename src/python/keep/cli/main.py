"""`keep`: share a secret end-to-end encrypted; the server stores only ciphertext.

  keep send [FILE] [--ttl 1h]      # stdin or FILE -> prints the link (key and password after #)
  keep get LINK [-o FILE]          # prints (or writes) the secret, once

The server is --server URL, else $KEEP_URL, else the devstack's http://localhost:8080. Exit
codes: keep.cli.errors.ExitCode."""

from __future__ import annotations

import argparse
import getpass
import os
import re
import sys
from collections.abc import Sequence
from typing import BinaryIO, TextIO

from keep.cli import envelope
from keep.cli.client import Server
from keep.cli.errors import ExitCode, KeepError
from keep.cli.link import LinkError, format_fragment, parse_link
from keep.cli.output import Output
from keep.cli.progress import Progress

DEFAULT_SERVER = "http://localhost:8080"
_TTL = re.compile(r"(\d+)([smhd]?)")
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def ttl_seconds(text: str) -> int:
    match = _TTL.fullmatch(text.strip().lower())
    if not match:
        raise argparse.ArgumentTypeError(f"{text!r}: use seconds or 10m, 1h, 7d")
    return int(match.group(1)) * _UNITS[match.group(2)]


def _common_options(parser: argparse.ArgumentParser, defaults: bool) -> None:
    """On the main parser and on each command, so `keep send --server URL` works too; the
    commands' copies default to SUPPRESS and so never override the main parser's value."""

    def default(value: object) -> object:
        return value if defaults else argparse.SUPPRESS

    parser.add_argument(
        "--server",
        default=default(os.environ.get("KEEP_URL") or DEFAULT_SERVER),
        help="the Keep server `send` uploads to (default: $KEEP_URL or "
        f"{DEFAULT_SERVER}); `get` uses the link's",
    )
    parser.add_argument(
        "--timeout", type=float, default=default(30.0), help="seconds per request (default 30)"
    )
    shown = parser.add_mutually_exclusive_group()
    shown.add_argument(
        "--progress",
        dest="progress",
        action="store_true",
        default=default(None),
        help="show transfer progress (default: on a terminal, for 16 KiB and more)",
    )
    shown.add_argument(
        "--no-progress", dest="progress", action="store_false", default=default(None)
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="keep",
        description="Share a secret once. It is encrypted on this machine; the server never "
        "sees it, and the link (key and password after #) opens it exactly once.",
    )
    _common_options(parser, defaults=True)
    commands = parser.add_subparsers(dest="command", required=True)

    send = commands.add_parser("send", help="encrypt and upload; prints the link")
    _common_options(send, defaults=False)
    send.add_argument("file", nargs="?", help="the secret (default: standard input)")
    send.add_argument(
        "--ttl", type=ttl_seconds, default=None, help="expires after: seconds, 10m, 1h, 7d"
    )

    get = commands.add_parser("get", help="download and decrypt a link, once")
    _common_options(get, defaults=False)
    get.add_argument("link", help="the whole link, including the part after #")
    get.add_argument("-o", "--output", help="write the secret to this file (default: stdout)")
    get.add_argument(
        "--retries",
        type=int,
        default=2,
        help="repeat a reveal without a definite answer (503, lost reply) this many times with "
        "the same Idempotency-Key, so a lost reply never loses the secret (default 2)",
    )
    return parser


def _read_secret(path: str | None, stdin: BinaryIO) -> bytes:
    if path is None or path == "-":
        return stdin.read()
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as e:
        raise KeepError(f"Cannot read {path}: {e.strerror}", ExitCode.USAGE) from None


def send(args: argparse.Namespace, stdin: BinaryIO, stdout: BinaryIO, err: TextIO) -> int:
    plaintext = _read_secret(args.file, stdin)
    if not plaintext:
        raise KeepError("The secret is empty: pass a file or pipe something in.", ExitCode.USAGE)
    key = envelope.new_key()
    sealed = envelope.seal(plaintext, key)
    server = Server(args.server, Progress(err, args.progress), args.timeout)
    created = server.create(sealed, args.ttl)
    link = f"{created['url']}#{format_fragment(key, str(created['password']))}"
    stdout.write(link.encode() + b"\n")
    stdout.flush()
    print(f"# opens once, until {created.get('expires_at', '?')}", file=err)
    return ExitCode.OK


def get(args: argparse.Namespace, stdout: BinaryIO, err: TextIO) -> int:
    try:
        link = parse_link(args.link)
    except LinkError as e:
        raise KeepError(str(e), ExitCode.DAMAGED) from None
    password = link.fragment.password
    if password is None:
        if not sys.stdin.isatty():
            raise KeepError(
                "The link has no password after #, and there is no terminal to ask for it.",
                ExitCode.USAGE,
            )
        password = getpass.getpass("Password: ", stream=err)
    output = Output(args.output, stdout)
    try:
        server = Server(link.base, Progress(err, args.progress), args.timeout)
        stored = server.reveal(
            link.secret_id, password, args.retries, lambda m: print(f"keep: {m}", file=err)
        )
        secret = _open(stored, link.fragment.key)
    except BaseException:
        output.discard()
        raise
    output.write(secret)
    return ExitCode.OK


def _open(stored: bytes, key: bytes | None) -> bytes:
    """The plaintext of what the server returned: decrypted with the link's key, or as stored
    for a curl link. Every failure here comes after the server deleted its copy."""
    if key is None:
        if stored.startswith(envelope.PREFIX.encode()):
            raise KeepError(
                "This secret is encrypted but the link has no key after #; it is now deleted "
                "from the server. Ask the sender for the whole link.",
                ExitCode.DAMAGED,
            )
        return stored
    try:
        return envelope.open_envelope(stored.decode("utf-8", "replace"), key)
    except envelope.EnvelopeError as e:
        raise KeepError(
            f"{e} Nothing was decrypted, and the server has deleted its copy: ask the sender "
            "to share it again.",
            ExitCode.DAMAGED,
        ) from None


def main(
    argv: Sequence[str] | None = None,
    stdin: BinaryIO | None = None,
    stdout: BinaryIO | None = None,
    err: TextIO | None = None,
) -> int:
    stdin = stdin or sys.stdin.buffer
    stdout = stdout or sys.stdout.buffer
    err = err or sys.stderr
    args = _parser().parse_args(argv)
    try:
        if args.command == "send":
            return send(args, stdin, stdout, err)
        return get(args, stdout, err)
    except KeepError as e:
        print(f"keep: {e.message}", file=err)
        return e.code
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
