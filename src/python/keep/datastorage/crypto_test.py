import base64

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from keep.datastorage import crypto

SECRET_ID = crypto.new_id()
PASSWORD = crypto.new_password()
EXPIRES = 1_900_000_000_000
# Computed independently with the standard library's hmac (RFC 5869 by hand).
KNOWN_VERIFIER = "28fb5cfc2fe13edbe3a2e121537583d2"


def test_round_trip() -> None:
    record = crypto.seal(b"the secret", SECRET_ID, PASSWORD, EXPIRES)
    restored = crypto.SealedRecord.from_bytes(record.to_bytes())
    assert crypto.unseal(restored, SECRET_ID, PASSWORD) == b"the secret"


def test_ids_and_passwords_are_independent_128_bit_tokens() -> None:
    ids = {crypto.new_id() for _ in range(1000)}
    passwords = {crypto.new_password() for _ in range(1000)}
    assert len(ids) == len(passwords) == 1000
    assert not ids & passwords
    assert all(crypto.is_valid_id(i) for i in ids)
    assert crypto.TOKEN_BYTES * 8 >= 128


@pytest.mark.parametrize(
    "bad", ["", "short", "x" * 22 + "y", "!" * 22, "é" * 22, "x" * 21 + "\n", "x" * 21 + "٣"]
)
def test_malformed_ids_are_rejected(bad: str) -> None:
    assert not crypto.is_valid_id(bad)


def test_a_new_secret_has_its_own_id_password_salt_and_nonce() -> None:
    made = [crypto.new_secret(b"payload", EXPIRES) for _ in range(500)]
    ids, passwords = {m[0] for m in made}, {m[1] for m in made}
    salts, nonces = {m[2].salt for m in made}, {m[2].nonce for m in made}
    assert len(ids) == len(passwords) == len(salts) == len(nonces) == 500
    assert not ids & passwords
    assert all(crypto.is_valid_id(i) and crypto.is_valid_id(p) for i, p, _ in made)
    # The pieces of one read do not overlap: the id's and password's bytes are neither salt nor nonce.
    for secret_id, password, record in made[:50]:
        raw = {base64.urlsafe_b64decode(token + "==") for token in (secret_id, password)}
        assert len(raw) == 2 and all(len(r) == crypto.TOKEN_BYTES for r in raw)
        assert not raw & {record.salt, record.nonce}
    secret_id, password, record = made[0]
    restored = crypto.SealedRecord.from_bytes(record.to_bytes())
    assert crypto.unseal(restored, secret_id, password) == b"payload"
    assert (record.expires_at_ms, len(record.salt), len(record.nonce)) == (EXPIRES, 16, 12)


def test_nonce_and_salt_are_fresh_for_every_seal() -> None:
    a = crypto.seal(b"same", SECRET_ID, PASSWORD, EXPIRES)
    b = crypto.seal(b"same", SECRET_ID, PASSWORD, EXPIRES)
    assert len(a.nonce) == 12 and len(a.salt) == 16
    assert a.nonce != b.nonce and a.salt != b.salt and a.ciphertext != b.ciphertext


def test_wrong_password_fails() -> None:
    record = crypto.seal(b"the secret", SECRET_ID, PASSWORD, EXPIRES)
    with pytest.raises(crypto.DecryptionFailed):
        crypto.unseal(record, SECRET_ID, crypto.new_password())


def test_any_flipped_byte_fails() -> None:
    """Every byte of the stored record (header, salt, nonce, ciphertext, tag) is authenticated."""
    raw = crypto.seal(b"tamper with me", SECRET_ID, PASSWORD, EXPIRES).to_bytes()
    for i in range(len(raw)):
        tampered = bytearray(raw)
        tampered[i] ^= 0x01
        with pytest.raises((crypto.DecryptionFailed, crypto.MalformedRecord)):
            crypto.unseal(crypto.SealedRecord.from_bytes(bytes(tampered)), SECRET_ID, PASSWORD)


def test_ciphertext_cannot_move_to_another_id_or_expiry() -> None:
    record = crypto.seal(b"bound", SECRET_ID, PASSWORD, EXPIRES)
    with pytest.raises(crypto.DecryptionFailed):
        crypto.unseal(record, crypto.new_id(), PASSWORD)
    extended = crypto.SealedRecord(
        EXPIRES + 86_400_000, record.salt, record.nonce, record.ciphertext
    )
    with pytest.raises(crypto.DecryptionFailed):
        crypto.unseal(extended, SECRET_ID, PASSWORD)


def test_unknown_format_version_is_malformed() -> None:
    raw = bytearray(crypto.seal(b"x", SECRET_ID, PASSWORD, EXPIRES).to_bytes())
    raw[0] = 2
    with pytest.raises(crypto.MalformedRecord):
        crypto.SealedRecord.from_bytes(bytes(raw))


def test_truncated_record_is_malformed() -> None:
    with pytest.raises(crypto.MalformedRecord):
        crypto.SealedRecord.from_bytes(b"\x01" * 20)


@settings(max_examples=200, deadline=None)
@given(payload=st.binary(min_size=1, max_size=64 * 1024))
def test_round_trip_any_payload(payload: bytes) -> None:
    record = crypto.seal(payload, SECRET_ID, PASSWORD, EXPIRES)
    raw = record.to_bytes()
    assert payload not in raw or len(payload) < 4  # the plaintext never appears in storage
    assert crypto.unseal(crypto.SealedRecord.from_bytes(raw), SECRET_ID, PASSWORD) == payload


@settings(max_examples=50, deadline=None)
@given(payload=st.binary(min_size=1, max_size=4096), position=st.integers(min_value=0))
def test_tampering_anywhere_fails_for_any_payload(payload: bytes, position: int) -> None:
    raw = bytearray(crypto.seal(payload, SECRET_ID, PASSWORD, EXPIRES).to_bytes())
    raw[position % len(raw)] ^= 0x80
    with pytest.raises((crypto.DecryptionFailed, crypto.MalformedRecord)):
        crypto.unseal(crypto.SealedRecord.from_bytes(bytes(raw)), SECRET_ID, PASSWORD)


def test_claim_verifier_is_stable_across_releases() -> None:
    """Stored verifiers must keep matching after any deploy: a changed derivation would turn
    every right password for an existing secret into a counted wrong one. A known answer:
    HKDF-SHA256(password, salt=id, info="keep.datastorage.v1 claim verifier"), 16 bytes."""
    verifier = crypto.claim_verifier("AAAAAAAAAAAAAAAAAAAAAA", "password-of-22-chars__")
    assert verifier.hex() == KNOWN_VERIFIER


def test_claim_verifier_depends_on_id_and_password_and_is_not_the_key() -> None:
    verifier = crypto.claim_verifier(SECRET_ID, PASSWORD)
    assert verifier == crypto.claim_verifier(SECRET_ID, PASSWORD)
    assert verifier != crypto.claim_verifier(crypto.new_id(), PASSWORD)
    assert verifier != crypto.claim_verifier(SECRET_ID, crypto.new_password())
    # Domain separation: even with the id as the salt, the key's label gives other bytes.
    assert verifier not in crypto._derive_key(PASSWORD, SECRET_ID.encode())
    record = crypto.seal(b"the secret", SECRET_ID, PASSWORD, EXPIRES)
    assert verifier not in record.to_bytes()
