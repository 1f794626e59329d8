"use strict";
// What both pages need from the JSON API: same-origin JSON POSTs and error messages a person
// can act on (the server's message, plus when to retry if it said so).
window.KeepApi = (function () {
  async function postJson(path, data, headers) {
    let response;
    try {
      response = await fetch(path, {
        method: "POST",
        headers: Object.assign({ "Content-Type": "application/json" }, headers || {}),
        body: JSON.stringify(data),
        credentials: "same-origin",
        cache: "no-store",
      });
    } catch (e) {
      throw new Error("The server could not be reached; check your connection and try again.");
    }
    const body = await response.json().catch(() => ({}));
    return { response: response, body: body };
  }

  function describe(response, body) {
    let message = (body && body.error && body.error.message) ||
      "The server answered HTTP " + response.status + "; try again later.";
    const retry = response.headers.get("Retry-After");
    if (retry && /^[0-9]+$/.test(retry) && !message.includes(retry + " second")) {
      message += " Try again in " + retry + " seconds.";
    }
    return message;
  }

  return { postJson, describe };
})();
