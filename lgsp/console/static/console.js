// The console's only script: re-fetch the overview's live part every few seconds.
// Without it the page still works; reload it by hand.
(function () {
  "use strict";
  var live = document.getElementById("live");
  if (!live) { return; }
  var every = Number(live.getAttribute("data-every") || "5") * 1000;
  var url = live.getAttribute("data-refresh");
  function refresh() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (r) {
        if (r.redirected) { window.location.assign(r.url); }  // the session ended: log in
        return r.ok && !r.redirected ? r.text() : Promise.reject(r.status);
      })
      .then(function (html) { live.innerHTML = html; })
      .catch(function () { /* keep the last figures; try again next time */ })
      .then(function () { window.setTimeout(refresh, every); });
  }
  window.setTimeout(refresh, every);
})();
