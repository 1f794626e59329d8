"""The client-side envelope (docs/envelope.md): what the `keep` CLI and the web pages store,
so the server only ever holds ciphertext it has no key for.

    envelope = "k1." + base64url(nonce[12] || AES-256-GCM(key[32], nonce, plaintext, aad="k1."))

The JavaScript twin is keep/gateway/static/envelope.js; both pass docs/envelope-vectors.json."""

from __future__ import annotations

import base64
import re
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

VERSION = "k1"
PREFIX = VERSION + "."
KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16
# The AAD binds the version: an envelope relabelled as another version fails to decrypt.
_AAD = PREFIX.encode("ascii")
_B64URL = re.compile(r"[A-Za-z0-9_-]*")
_OTHER_VERSION = re.compile(r"k[0-9]+\.")


class EnvelopeError(ValueError):
    """`code` is one of: not_envelope, version, malformed, decrypt (shared with the JS)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Strict: only the URL-safe alphabet, no padding, and the canonical encoding (so one byte
    string has exactly one text form and a changed character is never silently ignored)."""
    if not _B64URL.fullmatch(text) or len(text) % 4 == 1:
        raise ValueError("not base64url")
    data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if b64url_encode(data) != text:
        raise ValueError("not canonical base64url")
    return data


def new_key() -> bytes:
    return secrets.token_bytes(KEY_BYTES)


def seal(plaintext: bytes, key: bytes, nonce: bytes | None = None) -> str:
    """The envelope of `plaintext`; `nonce` is for test vectors only (default: fresh random)."""
    if len(key) != KEY_BYTES:
        raise ValueError(f"the key must be {KEY_BYTES} bytes")
    nonce = secrets.token_bytes(NONCE_BYTES) if nonce is None else nonce
    if len(nonce) != NONCE_BYTES:
        raise ValueError(f"the nonce must be {NONCE_BYTES} bytes")
    return PREFIX + b64url_encode(nonce + AESGCM(key).encrypt(nonce, plaintext, _AAD))


def open_envelope(envelope: str, key: bytes) -> bytes:
    """The plaintext, or EnvelopeError: never a partial plaintext (GCM checks the tag first)."""
    if not envelope.startswith(PREFIX):
        if _OTHER_VERSION.match(envelope):
            version = envelope.split(".", 1)[0]
            raise EnvelopeError(
                "version", f"This secret uses envelope version {version}; update keep to open it."
            )
        raise EnvelopeError("not_envelope", "This secret is not a Keep envelope.")
    try:
        raw = b64url_decode(envelope[len(PREFIX) :])
    except ValueError:
        raise EnvelopeError(
            "malformed", "The encrypted secret is damaged (bad encoding)."
        ) from None
    if len(raw) < NONCE_BYTES + TAG_BYTES:
        raise EnvelopeError("malformed", "The encrypted secret is damaged (too short).")
    try:
        return AESGCM(key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], _AAD)
    except InvalidTag:
        raise EnvelopeError(
            "decrypt",
            "The secret cannot be decrypted: the link's key is wrong or the data was altered.",
        ) from None


def envelope_length(plaintext_bytes: int) -> int:
    """Characters (= bytes, all ASCII) of the envelope of a plaintext of this size."""
    raw = NONCE_BYTES + plaintext_bytes + TAG_BYTES
    return len(PREFIX) + (4 * raw + 2) // 3


def max_plaintext_bytes(payload_cap: int) -> int:
    """The largest plaintext whose envelope fits in a server payload cap of `payload_cap`."""
    raw = (payload_cap - len(PREFIX)) * 3 // 4
    return max(0, raw - NONCE_BYTES - TAG_BYTES)
