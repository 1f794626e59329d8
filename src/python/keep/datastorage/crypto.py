"""Sealing secrets: AES-256-GCM under a key derived from a password the server never keeps.

A sealed record is `version | expires_at_ms | salt | nonce | ciphertext+tag`. The additional
authenticated data binds the format version, the secret's id and its expiry, so a record
cannot be replayed under another id or with a longer life. Beside each record the store keeps
a claim verifier (`claim_verifier`), so Redis can tell a right password from a wrong one
without the record leaving it.
"""

from __future__ import annotations

import base64
import os
import re
import struct
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

FORMAT_VERSION = 1
SALT_BYTES = 16
NONCE_BYTES = 12  # the 96-bit nonce GCM is designed for
KEY_BYTES = 32  # AES-256
TOKEN_BYTES = 16  # 128 bits of entropy for ids and passwords
_HEADER = struct.Struct(">BQ")  # version, expires_at_ms
_HKDF_INFO = b"keep.datastorage.v1 secret key"
_VERIFIER_INFO = b"keep.datastorage.v1 claim verifier"
VERIFIER_BYTES = 16
# token_urlsafe(16) is 22 characters of the URL-safe base64 alphabet.
ID_LENGTH = 22
_ID = re.compile(r"[A-Za-z0-9_-]{%d}" % ID_LENGTH)  # ASCII only: the ranges are literal
_SHA256 = hashes.SHA256()  # an immutable description of the algorithm, shared by every HKDF


class DecryptionFailed(Exception):
    """Wrong password, or a record that was tampered with (indistinguishable by design)."""


class MalformedRecord(Exception):
    """Bytes that are not a sealed record of a known format version."""


def new_id() -> str:
    return _token(os.urandom(TOKEN_BYTES))


def new_password() -> str:
    return _token(os.urandom(TOKEN_BYTES))


def _token(raw: bytes) -> str:
    """`secrets.token_urlsafe`'s text for these random bytes."""
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def new_secret(payload: bytes, expires_at_ms: int) -> tuple[str, str, SealedRecord]:
    """A new secret: its id (`new_id`), password (`new_password`) and the payload sealed under
    them (`seal`). Their random bytes come from one read of the OS's random source, cut into
    independent pieces, instead of four: each read is a system call, and together they were a
    few per cent of data-storage's CPU per request."""
    fresh = os.urandom(2 * TOKEN_BYTES + SALT_BYTES + NONCE_BYTES)
    secret_id, password = _token(fresh[:TOKEN_BYTES]), _token(fresh[TOKEN_BYTES : 2 * TOKEN_BYTES])
    salt_and_nonce = fresh[2 * TOKEN_BYTES :]
    return secret_id, password, _seal(payload, secret_id, password, expires_at_ms, salt_and_nonce)


def is_valid_id(secret_id: str) -> bool:
    return _ID.fullmatch(secret_id) is not None


def _derive_key(password: str, salt: bytes) -> bytes:
    # HKDF, not a slow password hash: passwords are 128-bit random tokens, never human-chosen.
    return HKDF(_SHA256, KEY_BYTES, salt, _HKDF_INFO).derive(password.encode())


def claim_verifier(secret_id: str, password: str) -> bytes:
    """What the store keeps beside a record so that its claim script can check the password
    itself, and a reveal is one Redis call (store.py, scripts.REVEAL).

    Why this is safe:
    - It is HKDF-SHA256 of the same password as the record's key, with its own `info` label
      (domain separation): the two outputs are independent pseudorandom values, so the
      verifier tells nothing about the key, and the key nothing about the verifier.
    - It makes offline guessing no easier than the stored record already does. Whoever reads
      Redis can test a guess against the ciphertext with one HKDF plus an AES-GCM tag check;
      against the verifier with one HKDF. Either way every guess costs a keyed hash, and there
      are 2^128 passwords (`new_password`), so neither test is feasible. The salt is the
      secret's id (unique, 128-bit random), so no table can be computed ahead of time or
      shared between secrets; the record's random salt cannot be used, because the caller
      must compute the verifier before it has read the record.
    - It is not a password equivalent: the API takes passwords, never verifiers, so knowing a
      verifier (only Redis readers can) reveals nothing and claims nothing through the service.
    - 16 bytes: a wrong password matches with probability 2^-128, the password's own strength.
    It is a secret-derived value all the same: never logged, never in an error message."""
    hkdf = HKDF(_SHA256, VERIFIER_BYTES, secret_id.encode(), _VERIFIER_INFO)
    return hkdf.derive(password.encode())


def _aad(version: int, secret_id: str, expires_at_ms: int) -> bytes:
    return _HEADER.pack(version, expires_at_ms) + secret_id.encode()


@dataclass(frozen=True)
class SealedRecord:
    expires_at_ms: int
    salt: bytes
    nonce: bytes
    ciphertext: bytes
    version: int = FORMAT_VERSION

    def to_bytes(self) -> bytes:
        header = _HEADER.pack(self.version, self.expires_at_ms)
        return header + self.salt + self.nonce + self.ciphertext

    @classmethod
    def from_bytes(cls, raw: bytes) -> SealedRecord:
        minimum = _HEADER.size + SALT_BYTES + NONCE_BYTES + 16  # 16: the GCM tag
        if len(raw) < minimum:
            raise MalformedRecord(f"record is {len(raw)} bytes, shorter than {minimum}")
        version, expires_at_ms = _HEADER.unpack_from(raw)
        if version != FORMAT_VERSION:
            raise MalformedRecord(f"unknown record format version {version}")
        salt_end = _HEADER.size + SALT_BYTES
        nonce_end = salt_end + NONCE_BYTES
        return cls(
            expires_at_ms=expires_at_ms,
            salt=raw[_HEADER.size : salt_end],
            nonce=raw[salt_end:nonce_end],
            ciphertext=raw[nonce_end:],
            version=version,
        )


def seal(payload: bytes, secret_id: str, password: str, expires_at_ms: int) -> SealedRecord:
    return _seal(payload, secret_id, password, expires_at_ms, os.urandom(SALT_BYTES + NONCE_BYTES))


def _seal(
    payload: bytes, secret_id: str, password: str, expires_at_ms: int, salt_and_nonce: bytes
) -> SealedRecord:
    """`seal` with this fresh random salt and nonce (SALT_BYTES + NONCE_BYTES)."""
    salt, nonce = salt_and_nonce[:SALT_BYTES], salt_and_nonce[SALT_BYTES:]
    key = _derive_key(password, salt)
    ciphertext = AESGCM(key).encrypt(nonce, payload, _aad(FORMAT_VERSION, secret_id, expires_at_ms))
    return SealedRecord(expires_at_ms, salt, nonce, ciphertext)


def unseal(record: SealedRecord, secret_id: str, password: str) -> bytes:
    key = _derive_key(password, record.salt)
    try:
        return AESGCM(key).decrypt(
            record.nonce, record.ciphertext, _aad(record.version, secret_id, record.expires_at_ms)
        )
    except InvalidTag:
        raise DecryptionFailed() from None
