/* The case page, progressively enhanced: every few seconds (data-interval), ask whether
 * the case changed (data-case-live answers with a stamp); when the stamp differs from the
 * page's (data-stamp), fetch the page again and swap in each part that changed
 * ([data-live-part]), then say so once in the status line (role="status"). Polling pauses
 * while the tab is hidden. Without this file the page is the same, and a reload shows the
 * latest. No inline script is used (the Content-Security-Policy forbids it). */
(function () {
  "use strict";

  var box = document.querySelector("[data-case-live]");
  if (!box || !window.fetch || !window.DOMParser) {
    return;
  }
  var status = box.querySelector("[role=status]");
  var every = (parseInt(box.getAttribute("data-interval"), 10) || 10) * 1000;
  var get = { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } };

  function redraw() {
    return window.fetch(window.location.href, get).then(function (response) {
      return response.ok ? response.text() : null;
    }).then(function (html) {
      if (html === null) {
        return false;
      }
      var page = new window.DOMParser().parseFromString(html, "text/html");
      var fresh = page.querySelector("[data-case-live]");
      page.querySelectorAll("[data-live-part]").forEach(function (part) {
        var name = part.getAttribute("data-live-part");
        var current = document.querySelector('[data-live-part="' + name + '"]');
        if (current && current.innerHTML !== part.innerHTML) {
          current.innerHTML = part.innerHTML;
        }
      });
      if (fresh) {
        box.setAttribute("data-stamp", fresh.getAttribute("data-stamp"));
      }
      return true;
    });
  }

  function poll() {
    if (document.hidden) {
      window.setTimeout(poll, every);
      return;
    }
    window.fetch(box.getAttribute("data-case-live"), get).then(function (response) {
      return response.ok ? response.json() : null;
    }).then(function (answer) {
      if (answer && answer.stamp && answer.stamp !== box.getAttribute("data-stamp")) {
        return redraw().then(function (done) {
          if (done && status) {
            status.textContent = box.getAttribute("data-updated") + " " +
              new Date().toLocaleTimeString(document.documentElement.lang || undefined,
                                            { hour: "2-digit", minute: "2-digit" });
          }
        });
      }
    }).catch(function () {
      /* keep the page as it is; ask again later */
    }).then(function () {
      window.setTimeout(poll, every);
    });
  }

  window.setTimeout(poll, every);
})();
