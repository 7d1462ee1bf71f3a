/* The request wizard, progressively enhanced: everything works without this file.
 * - Live check: when a field changes or loses focus, the step form is posted to its
 *   check URL (nothing is saved) and the step's findings are replaced in the
 *   aria-live region #step-findings.
 * - Measures: the date range and the hint for the details follow the kind chosen.
 * No inline script or style is used (the Content-Security-Policy forbids both). */
(function () {
  "use strict";

  var form = document.querySelector("form[data-live-check]");
  var region = document.getElementById("step-findings");
  var timer = null;
  var sent = null;

  function check() {
    timer = null;
    if (!form || !region || !window.fetch || !window.FormData) {
      return;
    }
    var body = new FormData(form);
    if (sent !== null) {
      sent.abort();
    }
    sent = window.AbortController ? new AbortController() : null;
    window.fetch(form.getAttribute("data-live-check"), {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "X-Requested-With": "fetch" },
      signal: sent ? sent.signal : undefined
    }).then(function (response) {
      return response.ok ? response.text() : null;
    }).then(function (html) {
      if (html !== null) {
        region.innerHTML = html;
      }
    }).catch(function () { /* offline or aborted: the page still works */ });
  }

  function schedule(event) {
    var target = event.target;
    if (!target || !target.name || target.type === "submit" || target.type === "hidden") {
      return;
    }
    if (timer !== null) {
      window.clearTimeout(timer);
    }
    timer = window.setTimeout(check, 250);
  }

  function showForKind(row) {
    var select = row.querySelector("select[name$='-kind']");
    var kind = select ? select.value : "";
    row.querySelectorAll("[data-for-kinds]").forEach(function (element) {
      var kinds = element.getAttribute("data-for-kinds").split(" ");
      element.hidden = kinds.indexOf(kind || "none") === -1;
    });
  }

  var summary = document.querySelector(".error-summary");
  if (summary) {
    summary.focus();  /* announced and first in the tab order after a failed save */
  }

  if (form) {
    form.addEventListener("change", schedule);
    form.addEventListener("focusout", schedule);
    form.addEventListener("change", function (event) {
      var row = event.target.closest ? event.target.closest("[data-measure-row]") : null;
      if (row && /-kind$/.test(event.target.name)) {
        showForKind(row);
      }
    });
  }
}());
