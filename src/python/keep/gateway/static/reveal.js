"use strict";
// The reveal page. Loading it changes nothing: the secret is consumed only by the Reveal
// button's POST. The link's #fragment (never sent to the server) holds the envelope key and
// the server password; it is removed from the address bar right away. The envelope is
// decrypted here; a link without a key (curl's share_url) shows the secret as stored.
(function () {
  const $ = (id) => document.getElementById(id);
  const Envelope = window.KeepEnvelope;
  const id = location.pathname.replace(/^\/+/, "");
  let fragment = { key: null, password: null };
  let damaged = false;

  function showError(message) {
    $("error").textContent = message;
    $("error").hidden = false;
  }

  function gone(message) {
    $("status").textContent = message;
    $("reveal-form").hidden = true;
  }

  const hash = location.hash.slice(1);
  if (hash) {
    history.replaceState(null, "", location.pathname);
    try {
      fragment = Envelope.parseFragment(hash);
    } catch (e) {
      damaged = true;
      showError(e.message + " Ask the sender for the whole link.");
      // A damaged key cannot decrypt: revealing would only destroy the secret.
      if (hash.startsWith(Envelope.PREFIX)) $("reveal-form").hidden = true;
    }
  }
  if (fragment.password) $("password-row").hidden = true;

  fetch("/api/v1/secrets/" + encodeURIComponent(id), { cache: "no-store" })
    .then((response) => {
      if (response.status === 404) gone("This secret was already read or expired (or never existed).");
    })
    .catch(() => {});

  function show(bytes) {
    $("reveal-form").hidden = true;
    $("status").textContent = "Here it is.";
    let text = null;
    try {
      text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    } catch (e) {
      text = null;
    }
    if (text !== null) {
      $("secret").value = text;
      $("result").hidden = false;
      return;
    }
    $("download").href = URL.createObjectURL(new Blob([bytes], { type: "application/octet-stream" }));
    $("file-size").textContent = "(" + bytes.length + " bytes)";
    $("file-result").hidden = false;
  }

  function storedBytes(body) {
    if (typeof body.secret === "string") return new TextEncoder().encode(body.secret);
    return Uint8Array.from(atob(body.secret_base64 || ""), (c) => c.charCodeAt(0));
  }

  async function open(stored) {
    const text = new TextDecoder().decode(stored);
    if (fragment.key) return Envelope.open(text, fragment.key);
    if (text.startsWith(Envelope.PREFIX)) {
      throw new Envelope.KeepError("damaged", "This secret is encrypted, but the link has no key after #.");
    }
    return stored;
  }

  // The same Idempotency-Key for every repeat of one reveal that got no definite answer (503,
  // or no reply): if the lost attempt claimed the secret, the repeat gets the same payload
  // instead of "already read". A definite answer starts a new request.
  const newRequestKey = () => Envelope.b64urlEncode(crypto.getRandomValues(new Uint8Array(16)));
  let requestKey = newRequestKey();

  $("reveal-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    $("error").hidden = true;
    const pw = fragment.password || $("password").value;
    if (!pw) {
      $("password-row").hidden = false;
      showError("Enter the password you were given.");
      return;
    }
    $("reveal").disabled = true;
    try {
      const { response, body } = await window.KeepApi.postJson(
        "/api/v1/secrets/" + encodeURIComponent(id) + "/reveal", { password: pw },
        { "Idempotency-Key": requestKey });
      if (response.status !== 503) requestKey = newRequestKey();
      if (!response.ok) {
        const message = window.KeepApi.describe(response, body);
        if (response.status === 404) gone("This secret was already read or expired (or never existed).");
        else {
          if (response.status === 403) { fragment.password = null; $("password-row").hidden = false; }
          showError(message);
        }
        return;
      }
      try {
        show(await open(storedBytes(body)));
      } catch (e) {
        // The server has deleted its copy; nothing partial is ever shown.
        gone("The secret could not be opened.");
        showError(e.message + " The server has deleted its copy: ask the sender to share it again.");
      }
    } catch (e) {
      showError(e.message);
    } finally {
      $("reveal").disabled = false;
    }
  });

  $("copy").addEventListener("click", () => {
    $("secret").select();
    if (navigator.clipboard) navigator.clipboard.writeText($("secret").value).catch(() => {});
  });

  if (!damaged || !hash.startsWith(Envelope.PREFIX)) $("reveal-fields").disabled = false;
  if (damaged) $("password-row").hidden = false;
})();
