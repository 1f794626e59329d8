"""The envelope against the shared test vectors (docs/envelope-vectors.json), which the
JavaScript implementation also passes (keep/gateway/envelope_js_test.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from keep.cli import envelope

VECTORS: dict[str, Any] = json.loads(Path("docs/envelope-vectors.json").read_text())


@pytest.mark.parametrize("vector", VECTORS["envelopes"], ids=lambda v: v["name"])
def test_vectors_seal_and_open(vector: dict[str, str]) -> None:
    key = envelope.b64url_decode(vector["key"])
    plaintext = bytes.fromhex(vector["plaintext_hex"])
    assert envelope.seal(plaintext, key, bytes.fromhex(vector["nonce"])) == vector["envelope"]
    assert envelope.open_envelope(vector["envelope"], key) == plaintext


@pytest.mark.parametrize("vector", VECTORS["invalid_envelopes"], ids=lambda v: v["name"])
def test_invalid_vectors_fail_with_their_code(vector: dict[str, str]) -> None:
    with pytest.raises(envelope.EnvelopeError) as raised:
        envelope.open_envelope(vector["envelope"], envelope.b64url_decode(vector["key"]))
    assert raised.value.code == vector["error"]


@pytest.mark.parametrize("vector", VECTORS["sizes"], ids=lambda v: str(v["cap"]))
def test_size_vectors(vector: dict[str, int]) -> None:
    largest = vector["max_plaintext_bytes"]
    assert envelope.max_plaintext_bytes(vector["cap"]) == largest
    assert (
        envelope.envelope_length(largest) <= vector["cap"] < envelope.envelope_length(largest + 1)
    )


@given(st.binary(max_size=2048))
def test_round_trip_and_size(plaintext: bytes) -> None:
    key = envelope.new_key()
    sealed = envelope.seal(plaintext, key)
    assert len(sealed) == envelope.envelope_length(len(plaintext))
    assert envelope.open_envelope(sealed, key) == plaintext


@given(st.binary(min_size=1, max_size=256), st.data())
def test_any_changed_character_is_refused(plaintext: bytes, data: st.DataObject) -> None:
    key = envelope.new_key()
    sealed = envelope.seal(plaintext, key)
    index = data.draw(st.integers(min_value=0, max_value=len(sealed) - 1))
    replacement = data.draw(st.sampled_from("Ak1._-+/=x").filter(lambda c: c != sealed[index]))
    tampered = sealed[:index] + replacement + sealed[index + 1 :]
    with pytest.raises(envelope.EnvelopeError):
        envelope.open_envelope(tampered, key)


def test_fresh_nonce_and_key_every_time() -> None:
    key = envelope.new_key()
    assert envelope.seal(b"same", key) != envelope.seal(b"same", key)
    assert envelope.new_key() != key
