"use strict";
// The client-side envelope (docs/envelope.md), the twin of keep/cli/envelope.py + link.py:
//   envelope = "k1." + base64url(nonce[12] || AES-256-GCM(key[32], nonce, plaintext, aad="k1."))
//   link     = <url>#k1.<base64url key>[.<percent-encoded server password>]
// WebCrypto only (no library, no CDN). Both implementations pass docs/envelope-vectors.json.
window.KeepEnvelope = (function () {
  const PREFIX = "k1.";
  const KEY_BYTES = 32;
  const NONCE_BYTES = 12;
  const TAG_BYTES = 16;
  const AAD = new TextEncoder().encode(PREFIX);
  const B64URL = /^[A-Za-z0-9_-]*$/;
  const OTHER_VERSION = /^k[0-9]+\./;

  // `code` is shared with the Python: not_envelope, version, malformed, decrypt, damaged.
  class KeepError extends Error {
    constructor(code, message) {
      super(message);
      this.code = code;
    }
  }

  function b64urlEncode(bytes) {
    let binary = "";
    for (let i = 0; i < bytes.length; i += 0x8000) {
      binary += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
    }
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  // Strict, like the Python: URL-safe alphabet, no padding, canonical form only.
  function b64urlDecode(text) {
    if (!B64URL.test(text) || text.length % 4 === 1) throw new Error("not base64url");
    const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4));
    const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
    if (b64urlEncode(bytes) !== text) throw new Error("not canonical base64url");
    return bytes;
  }

  function subtle() {
    if (!window.crypto || !window.crypto.subtle) {
      throw new KeepError("unsupported",
        "This browser cannot encrypt here: open the page over https (or on localhost).");
    }
    return window.crypto.subtle;
  }

  function importKey(key, usage) {
    return subtle().importKey("raw", key, { name: "AES-GCM" }, false, [usage]);
  }

  function newKey() {
    return crypto.getRandomValues(new Uint8Array(KEY_BYTES));
  }

  // `nonce` is for test vectors only (default: fresh random).
  async function seal(plaintext, key, nonce) {
    nonce = nonce || crypto.getRandomValues(new Uint8Array(NONCE_BYTES));
    const cryptoKey = await importKey(key, "encrypt");
    const sealed = new Uint8Array(await subtle().encrypt(
      { name: "AES-GCM", iv: nonce, additionalData: AAD, tagLength: 128 }, cryptoKey, plaintext));
    const raw = new Uint8Array(NONCE_BYTES + sealed.length);
    raw.set(nonce, 0);
    raw.set(sealed, NONCE_BYTES);
    return PREFIX + b64urlEncode(raw);
  }

  // The plaintext bytes, or a KeepError: never a partial plaintext (GCM checks the tag first).
  async function open(envelope, key) {
    if (!envelope.startsWith(PREFIX)) {
      if (OTHER_VERSION.test(envelope)) {
        throw new KeepError("version", "This secret uses a newer envelope version; reload the page.");
      }
      throw new KeepError("not_envelope", "This secret is not a Keep envelope.");
    }
    let raw;
    try {
      raw = b64urlDecode(envelope.slice(PREFIX.length));
    } catch (e) {
      throw new KeepError("malformed", "The encrypted secret is damaged (bad encoding).");
    }
    if (raw.length < NONCE_BYTES + TAG_BYTES) {
      throw new KeepError("malformed", "The encrypted secret is damaged (too short).");
    }
    const cryptoKey = await importKey(key, "decrypt");
    try {
      return new Uint8Array(await subtle().decrypt(
        { name: "AES-GCM", iv: raw.subarray(0, NONCE_BYTES), additionalData: AAD, tagLength: 128 },
        cryptoKey, raw.subarray(NONCE_BYTES)));
    } catch (e) {
      throw new KeepError("decrypt",
        "The secret cannot be decrypted: the link's key is wrong or the data was altered.");
    }
  }

  function formatFragment(key, password) {
    const fragment = PREFIX + b64urlEncode(key);
    return password ? fragment + "." + encodeURIComponent(password) : fragment;
  }

  function percentDecode(text) {
    try {
      return decodeURIComponent(text);
    } catch (e) {
      throw new KeepError("damaged", "This link is damaged: the part after # is garbled or cut off.");
    }
  }

  // {key: Uint8Array|null, password: string|null}; key null = a curl link (not end-to-end
  // encrypted), password null = the recipient types it.
  function parseFragment(fragment) {
    if (!fragment) return { key: null, password: null };
    if (!fragment.startsWith(PREFIX)) {
      if (OTHER_VERSION.test(fragment)) {
        throw new KeepError("version", "This link was made by a newer Keep; reload the page.");
      }
      return { key: null, password: percentDecode(fragment) };
    }
    const rest = fragment.slice(PREFIX.length);
    const dot = rest.indexOf(".");
    const keyText = dot < 0 ? rest : rest.slice(0, dot);
    let key = null;
    try {
      key = b64urlDecode(keyText);
    } catch (e) {
      key = null;
    }
    if (!key || key.length !== KEY_BYTES) {
      throw new KeepError("damaged", "This link is damaged: the key after # is cut off or altered.");
    }
    const password = dot < 0 ? "" : percentDecode(rest.slice(dot + 1));
    return { key: key, password: password || null };
  }

  // The largest plaintext whose envelope fits in a server payload cap of `cap` bytes.
  function maxPlaintextBytes(cap) {
    return Math.max(0, Math.floor((cap - PREFIX.length) * 3 / 4) - NONCE_BYTES - TAG_BYTES);
  }

  return { PREFIX, KeepError, maxPlaintextBytes, b64urlEncode, b64urlDecode, newKey, seal, open, formatFragment, parseFragment };
})();
