"use strict";
// The create page: encrypt the text or file in the browser (envelope.js), POST only the envelope to
// /api/v1/secrets, then show one link whose #fragment holds the key and the server password.
(function () {
  const $ = (id) => document.getElementById(id);
  const form = $("create-form");
  const Envelope = window.KeepEnvelope;

  function showError(message) {
    $("error").textContent = message;
    $("error").hidden = false;
  }

  // The JSON cap counts the envelope, a third larger than the secret: say it in secret bytes.
  function tooLarge(message) {
    const limit = /limit is ([0-9]+) bytes/.exec(message || "");
    if (!limit) return message;
    return "The secret is too large: at most " + Envelope.maxPlaintextBytes(Number(limit[1])) +
      " bytes (of a file, or of text in UTF-8) fit once encrypted.";
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    $("error").hidden = true;
    const text = $("secret").value;
    const file = $("file").files[0];
    if (text && file) {
      showError("Share either the text or the file, not both: clear one of them.");
      return;
    }
    if (!text && !(file && file.size)) {
      showError("The secret is empty; type something or choose a file to share.");
      return;
    }
    $("create").disabled = true;
    try {
      const plaintext = file ? new Uint8Array(await file.arrayBuffer()) : new TextEncoder().encode(text);
      const key = Envelope.newKey();
      const envelope = await Envelope.seal(plaintext, key);
      const { response, body } = await window.KeepApi.postJson("/api/v1/secrets", {
        secret: envelope, ttl_seconds: Number($("ttl").value),
      });
      if (!response.ok) {
        const message = window.KeepApi.describe(response, body);
        showError(response.status === 413 ? tooLarge(message) : message);
        return;
      }
      $("share-url").value = body.url + "#" + Envelope.formatFragment(key, body.password);
      $("url").value = body.url + "#" + Envelope.formatFragment(key, null);
      $("password").value = body.password;
      $("expires-at").textContent = new Date(body.expires_at).toLocaleString();
      $("expires-at").dateTime = body.expires_at;
      $("secret").value = "";
      $("file").value = "";
      form.hidden = true;
      $("result").hidden = false;
    } catch (e) {
      showError(e.message);
    } finally {
      $("create").disabled = false;
    }
  });

  $("copy").addEventListener("click", () => {
    $("share-url").select();
    if (navigator.clipboard) navigator.clipboard.writeText($("share-url").value).catch(() => {});
  });
  $("again").addEventListener("click", () => {
    $("result").hidden = true;
    form.hidden = false;
  });

  if (window.crypto && window.crypto.subtle) {
    $("create-fields").disabled = false;
  } else {
    showError("This browser cannot encrypt here: open the page over https (or on localhost).");
  }
})();
