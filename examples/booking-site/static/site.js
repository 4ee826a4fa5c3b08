// Polls the session until it ends and swaps in the panel the server renders. No framework.
(function () {
  "use strict";
  var panel = document.getElementById("panel");
  if (!panel || !panel.dataset.poll) { return; }
  var last = panel.innerHTML;
  function tick() {
    fetch(panel.dataset.poll, { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (v) {
        if (v && v.html !== last) {
          panel.innerHTML = v.html;
          panel.dataset.state = v.state;
          last = v.html;
        }
        if (!v || !v.final) { setTimeout(tick, 1000); }
      })
      .catch(function () { setTimeout(tick, 2000); });
  }
  setTimeout(tick, 1000);
})();
