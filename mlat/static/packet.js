/* The packet box on the request page, progressively enhanced: while a render is pending
 * ([data-pending]), fetch the box again every few seconds and, when a copy's state has
 * changed (data-state), swap in its copies, so the download appears when it is ready.
 * Without this file the box's "Refresh" link reloads the page. No inline script is used
 * (the Content-Security-Policy forbids it). */
(function () {
  "use strict";

  var box = document.querySelector("[data-packet-status]");
  var delay = 1000;

  function pending() {
    return box && box.querySelector("[data-pending]") !== null;
  }

  function poll() {
    if (!pending() || !window.fetch || !window.DOMParser) {
      return;
    }
    window.fetch(box.getAttribute("data-packet-status"), {
      credentials: "same-origin",
      headers: { "X-Requested-With": "fetch" }
    }).then(function (response) {
      return response.ok ? response.text() : null;
    }).then(function (html) {
      if (html !== null) {
        var page = new window.DOMParser().parseFromString(html, "text/html");
        var fresh = page.querySelector(".packet-copies");
        var current = box.querySelector(".packet-copies");
        var state = fresh ? fresh.getAttribute("data-state") : null;
        if (current && state !== null && state !== current.getAttribute("data-state")) {
          current.innerHTML = fresh.innerHTML; /* announced once, by aria-live */
          current.setAttribute("data-state", state);
        }
      }
    }).catch(function () {
      /* keep the page as it is; try again later */
    }).then(function () {
      delay = Math.min(delay * 1.5, 5000);
      window.setTimeout(poll, delay);
    });
  }

  window.setTimeout(poll, delay);
})();
