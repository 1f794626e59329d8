"""static/envelope.js, exactly as the gateway ships it, in a real browser (Chromium's
WebCrypto) against the test vectors the Python implementation also passes
(docs/envelope-vectors.json)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, Route

from keep.gateway.pages import STATIC
from keep.testing.browser import chromium, open_page

VECTORS: dict[str, Any] = json.loads(Path("docs/envelope-vectors.json").read_text())
# http://localhost is a secure context, where WebCrypto exists; playwright answers every
# request itself, so no server is involved.
ORIGIN = "http://localhost:1"
PAGE = b'<!doctype html><script src="/static/envelope.js"></script>'

# Runs each vector in the page; returns what the implementation produced (never a verdict).
RUN_VECTORS = """async (v) => {
  const E = window.KeepEnvelope;
  const hex = (b) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  const unhex = (h) => Uint8Array.from(h.match(/../g) || [], (x) => parseInt(x, 16));
  const code = async (f) => { try { await f(); return null; } catch (e) { return e.code || String(e); } };
  const out = {envelopes: [], invalid_envelopes: [], fragments: [], invalid_fragments: [], sizes: []};
  for (const x of v.envelopes) {
    const key = E.b64urlDecode(x.key);
    out.envelopes.push({
      sealed: await E.seal(unhex(x.plaintext_hex), key, unhex(x.nonce)),
      opened: hex(await E.open(x.envelope, key)),
    });
  }
  for (const x of v.invalid_envelopes) {
    out.invalid_envelopes.push(await code(() => E.open(x.envelope, E.b64urlDecode(x.key))));
  }
  for (const x of v.fragments) {
    const parsed = E.parseFragment(x.fragment);
    out.fragments.push({
      key: parsed.key && E.b64urlEncode(parsed.key),
      password: parsed.password,
      formatted: parsed.key && E.formatFragment(parsed.key, parsed.password),
    });
  }
  for (const x of v.invalid_fragments) {
    out.invalid_fragments.push(await code(() => E.parseFragment(x.fragment)));
  }
  for (const x of v.sizes) out.sizes.push(E.maxPlaintextBytes(x.cap));
  return out;
}"""


@pytest.fixture(scope="module")
def page() -> Iterator[Page]:
    def serve(route: Route) -> None:
        if route.request.url.endswith("/static/envelope.js"):
            route.fulfill(body=STATIC["envelope.js"][0], content_type="text/javascript")
        else:
            route.fulfill(body=PAGE, content_type="text/html")

    with chromium() as browser_, open_page(browser_) as page:
        page.route(f"{ORIGIN}/**", serve)
        page.goto(ORIGIN + "/")
        yield page


@pytest.fixture(scope="module")
def results(page: Page) -> dict[str, Any]:
    return dict(page.evaluate(RUN_VECTORS, VECTORS))


def test_envelopes(results: dict[str, Any]) -> None:
    for vector, got in zip(VECTORS["envelopes"], results["envelopes"], strict=True):
        assert got == {"sealed": vector["envelope"], "opened": vector["plaintext_hex"]}, vector


def test_invalid_envelopes(results: dict[str, Any]) -> None:
    expected = [v["error"] for v in VECTORS["invalid_envelopes"]]
    assert results["invalid_envelopes"] == expected


def test_fragments(results: dict[str, Any]) -> None:
    for vector, got in zip(VECTORS["fragments"], results["fragments"], strict=True):
        assert (got["key"], got["password"]) == (vector["key"], vector["password"]), vector
        if vector["key"] is not None:
            assert got["formatted"] == vector["fragment"]


def test_invalid_fragments(results: dict[str, Any]) -> None:
    expected = [v["error"] for v in VECTORS["invalid_fragments"]]
    assert results["invalid_fragments"] == expected


def test_sizes(results: dict[str, Any]) -> None:
    assert results["sizes"] == [v["max_plaintext_bytes"] for v in VECTORS["sizes"]]


def test_a_fresh_key_and_nonce_every_time(page: Page) -> None:
    sealed = page.evaluate(
        """async () => {
      const E = window.KeepEnvelope, key = E.newKey(), data = new TextEncoder().encode("same");
      return [E.b64urlEncode(key), E.b64urlEncode(E.newKey()), await E.seal(data, key), await E.seal(data, key)];
    }"""
    )
    assert sealed[0] != sealed[1] and sealed[2] != sealed[3]
