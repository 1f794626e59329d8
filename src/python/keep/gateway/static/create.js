"use strict";
// The create page: POST /api/v1/secrets, then show the share link (url#password).
(function () {
  const $ = (id) => document.getElementById(id);
  const form = $("create-form");

  function showError(message) {
    $("error").textContent = message;
    $("error").hidden = false;
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    $("error").hidden = true;
    $("create").disabled = true;
    try {
      const response = await fetch("/api/v1/secrets", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ secret: $("secret").value, ttl_seconds: Number($("ttl").value) }),
      });
      const body = await response.json().catch(() => ({}));
      if (!response.ok) {
        showError((body.error && body.error.message) || "Could not create the secret (HTTP " + response.status + ").");
        return;
      }
      $("share-url").value = body.share_url;
      $("url").value = body.url;
      $("password").value = body.password;
      $("expires-at").textContent = new Date(body.expires_at).toLocaleString();
      $("expires-at").dateTime = body.expires_at;
      $("secret").value = "";
      form.hidden = true;
      $("result").hidden = false;
    } catch (e) {
      showError("The server could not be reached; try again.");
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
})();
