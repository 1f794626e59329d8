"use strict";
// The create page: encrypt in the browser (envelope.js), POST only the envelope to
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
      " bytes (UTF-8) fit once encrypted.";
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    $("error").hidden = true;
    const text = $("secret").value;
    if (!text) {
      showError("The secret is empty; type something to share.");
      return;
    }
    $("create").disabled = true;
    try {
      const key = Envelope.newKey();
      const envelope = await Envelope.seal(new TextEncoder().encode(text), key);
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
