"use strict";
// The reveal page. Loading it changes nothing: the secret is consumed only by the Reveal
// button's POST. The password comes from the URL fragment (#...), which is never sent to the
// server, and is removed from the address bar right away.
(function () {
  const $ = (id) => document.getElementById(id);
  const id = decodeURIComponent(location.pathname.replace(/^\/+/, ""));
  let password = "";
  if (location.hash.length > 1) {
    password = decodeURIComponent(location.hash.slice(1));
    history.replaceState(null, "", location.pathname);
    $("password-row").hidden = true;
  }

  function showError(message) {
    $("error").textContent = message;
    $("error").hidden = false;
  }

  function gone(message) {
    $("status").textContent = message;
    $("reveal-form").hidden = true;
  }

  fetch("/api/v1/secrets/" + encodeURIComponent(id))
    .then((response) => {
      if (response.status === 404) gone("This secret does not exist: it expired, or was already read.");
    })
    .catch(() => {});

  $("reveal-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    $("error").hidden = true;
    const pw = password || $("password").value;
    if (!pw) {
      $("password-row").hidden = false;
      showError("Enter the password you were given.");
      return;
    }
    $("reveal").disabled = true;
    try {
      const response = await fetch("/api/v1/secrets/" + encodeURIComponent(id) + "/reveal", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ password: pw }),
      });
      const body = await response.json().catch(() => ({}));
      if (!response.ok) {
        const message = (body.error && body.error.message) || "Could not reveal (HTTP " + response.status + ").";
        if (response.status === 404) gone(message);
        else {
          if (response.status === 403) { password = ""; $("password-row").hidden = false; }
          showError(message);
        }
        return;
      }
      $("secret").value = body.secret !== undefined ? body.secret : atob(body.secret_base64);
      $("reveal-form").hidden = true;
      $("status").textContent = "Here it is.";
      $("result").hidden = false;
    } catch (e) {
      showError("The server could not be reached; try again.");
    } finally {
      $("reveal").disabled = false;
    }
  });

  $("copy").addEventListener("click", () => {
    $("secret").select();
    if (navigator.clipboard) navigator.clipboard.writeText($("secret").value).catch(() => {});
  });
})();
