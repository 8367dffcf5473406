// The ticket page: macros fill the reply box; live updates when someone else changes the ticket.
(function () {
  "use strict";
  var cfg = window.TICKET;
  var select = document.getElementById("macro-select");
  var body = document.getElementById("id_body");
  var macroField = document.getElementById("id_macro");
  var note = document.getElementById("macro-note");

  if (select) {
    select.addEventListener("change", function () {
      if (!select.value) { macroField.value = ""; note.hidden = true; return; }
      fetch(select.dataset.preview + select.value + "/", {credentials: "same-origin"})
        .then(function (r) { return r.json(); })
        .then(function (data) {
          body.value = data.body;
          macroField.value = select.value;
          var parts = Object.keys(data.actions || {}).map(function (k) { return k + ": " + JSON.stringify(data.actions[k]); });
          note.textContent = parts.length ? interpolate(gettext("Sending applies the macro (%s)."), [parts.join(", ")])
            : gettext("Sending applies the macro.");
          note.hidden = false;
        });
    });
  }

  var notice = document.getElementById("live-notice");
  function refreshThread() {
    fetch(window.location.pathname, {credentials: "same-origin"})
      .then(function (r) { return r.text(); })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.getElementById("thread");
        var current = document.getElementById("thread");
        if (fresh && current) { current.replaceWith(fresh); }
        var status = doc.getElementById("ticket-status");
        if (status) { document.getElementById("ticket-status").textContent = status.textContent; }
      });
  }

  function connect(delay) {
    if (!cfg || !window.WebSocket) { return; }
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + window.location.host + cfg.ws);
    socket.onmessage = function (event) {
      var data = JSON.parse(event.data);
      if (data.type === "hello") { document.body.dataset.live = "1"; return; }
      if (data.actor_id === cfg.userId) { return; }
      notice.hidden = false;
      notice.textContent = data.type === "message.posted"
        ? gettext("A new message arrived on this ticket.")
        : interpolate(gettext("Someone else changed this ticket (%s). Reload to see every change."), [data.type]);
      refreshThread();
    };
    socket.onclose = function () { setTimeout(function () { connect(Math.min((delay || 1000) * 2, 30000)); }, delay || 1000); };
  }
  connect(1000);
})();
