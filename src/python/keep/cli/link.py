"""Share links: `<public url>/<id>#k1.<key>[.<password>]` (docs/envelope.md).

The fragment never reaches a server (browsers and `keep get` strip it), so the client key and
the server password travel only inside the link. A fragment without the `k1.` marker is the
server password alone (links made by `curl -d` / `share_url`): the secret is not end-to-end
encrypted and is shown as stored."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote, unquote, urlsplit

from keep.cli.envelope import KEY_BYTES, PREFIX, b64url_decode, b64url_encode

_ID = re.compile(r"[A-Za-z0-9_-]{1,128}")
_OTHER_VERSION = re.compile(r"k[0-9]+\.")
_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")
# encodeURIComponent's unreserved set, so the CLI and the page write identical links.
_PASSWORD_SAFE = "!*'()"


class LinkError(ValueError):
    """`code` is damaged or version (shared with the JS)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Fragment:
    key: bytes | None  # None: not end-to-end encrypted (a curl link)
    password: str | None  # None: the recipient types it


@dataclass(frozen=True)
class Link:
    base: str  # scheme://host[/prefix], where the API lives
    secret_id: str
    fragment: Fragment


def format_fragment(key: bytes, password: str | None) -> str:
    fragment = PREFIX + b64url_encode(key)
    return fragment + "." + quote(password, safe=_PASSWORD_SAFE) if password else fragment


def _percent_decode(text: str) -> str:
    if _BAD_ESCAPE.search(text):
        raise LinkError("damaged", "This link is damaged: a %-escape after # is cut off.")
    try:
        return unquote(text, errors="strict")
    except UnicodeDecodeError:
        raise LinkError("damaged", "This link is damaged: the part after # is garbled.") from None


def parse_fragment(fragment: str) -> Fragment:
    if not fragment:
        return Fragment(None, None)
    if not fragment.startswith(PREFIX):
        if _OTHER_VERSION.match(fragment):
            raise LinkError(
                "version", "This link was made by a newer Keep; update keep to open it."
            )
        return Fragment(None, _percent_decode(fragment))
    key_text, _, password = fragment[len(PREFIX) :].partition(".")
    try:
        key = b64url_decode(key_text)
    except ValueError:
        key = b""
    if len(key) != KEY_BYTES:
        raise LinkError("damaged", "This link is damaged: the key after # is cut off or altered.")
    return Fragment(key, _percent_decode(password) or None)


def parse_link(text: str) -> Link:
    parts = urlsplit(text.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise LinkError("damaged", f"Not a Keep link (expected http(s)://HOST/ID#...): {text!r}")
    prefix, _, secret_id = parts.path.rstrip("/").rpartition("/")
    if not _ID.fullmatch(secret_id):
        raise LinkError("damaged", "This link is damaged: it does not end with a secret id.")
    return Link(
        f"{parts.scheme}://{parts.netloc}{prefix}", secret_id, parse_fragment(parts.fragment)
    )
