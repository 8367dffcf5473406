/* The agent console's AI panel: triage labels of the open conversation and its suggested reply.
   chat-console.js announces what happens as DOM events: "console:open" (an agent opens a conversation),
   "console:frame" (every socket frame, suggestions included) and "console:send" (the agent sends a reply).
   Insert copies the suggestion into the reply box; the verdict is recorded when the agent sends ("inserted" when
   the text went out unchanged, "edited" with the sent text otherwise), so the learning loop sees what agents send. */
(function () {
  "use strict";
  var root = document.getElementById("chat-ai");
  if (!root) return;
  var $ = function (id) { return document.getElementById(id); };
  var reply = $(root.dataset.reply);
  var csrf = root.querySelector("input[name=csrfmiddlewaretoken]").value;
  var current = null, shown = null, inserted = null;
  var MOODS = {negative: pgettext("sentiment", "negative"), neutral: pgettext("sentiment", "neutral"),
               positive: pgettext("sentiment", "positive")};

  function record(suggestion, verdict, text) {
    return fetch(suggestion.feedback_url, {
      method: "POST", body: new URLSearchParams({verdict: verdict, text: text || ""}), keepalive: true,
      credentials: "same-origin", headers: {"X-CSRFToken": csrf, "X-Requested-With": "fetch"},
    });
  }

  function links(id, label, items) {
    var p = $(id);
    p.textContent = "";
    p.hidden = !items.length;
    if (!items.length) return;
    p.appendChild(document.createTextNode(label + " "));
    items.forEach(function (item, i) {
      if (i) p.appendChild(document.createTextNode(" · "));
      var a = document.createElement("a");
      a.href = item.url; a.textContent = item.title; a.target = "_blank"; a.rel = "noopener";
      p.appendChild(a);
    });
  }

  function hide() { shown = null; $("chat-ai-suggestion").hidden = true; }

  function show(s) {
    if (s.status !== "pending") return;
    if (shown && shown.id > s.id) return;  // an older one (the load raced the live push)
    shown = s;
    $("chat-ai-text").textContent = s.text;
    $("chat-ai-text").hidden = !s.text;
    $("chat-ai-none").hidden = !!s.text;
    $("chat-ai-insert").hidden = !s.text;
    $("chat-ai-status").textContent = "";
    links("chat-ai-cites", gettext("From:"), s.citations || []);
    links("chat-ai-related", gettext("Related articles:"), s.related || []);
    $("chat-ai-suggestion").hidden = false;
  }

  function triage(c) {
    var p = $("chat-ai-triage"), parts = [];
    if (c && c.sentiment) parts.push(interpolate(gettext("Mood: %s"), [MOODS[c.sentiment] || c.sentiment]));
    if (c && c.language) parts.push(interpolate(gettext("Language: %s"), [c.language]));
    if (c && c.category) parts.push(interpolate(gettext("Topic: %s"), [c.category]));
    p.textContent = parts.join(" · ");
    p.hidden = !parts.length;
  }

  function load(id) {
    fetch(root.dataset.suggestionUrl.replace("/0/", "/" + id + "/"), {
      credentials: "same-origin", headers: {"X-Requested-With": "fetch"},
    }).then(function (r) { return r.ok ? r.json() : null; }).then(function (data) {
      // Nothing pending: keep whatever the live push may have shown meanwhile.
      if (data && data.suggestion && current === id) show(data.suggestion);
    });
  }

  document.addEventListener("console:open", function (e) {
    current = e.detail.conversation;
    inserted = null;
    hide(); triage(null);
    load(current);
  });
  document.addEventListener("console:frame", function (e) {
    var f = e.detail;
    if (f.type === "suggestion" && f.conversation === current) show(f);
    else if (f.type === "conversation" && f.id === current) triage(f);
  });
  document.addEventListener("console:send", function (e) {
    var sent = e.detail;
    if (!inserted || sent.note || sent.conversation !== inserted.conversation) return;
    record(inserted, sent.text === inserted.text.trim() ? "inserted" : "edited", sent.text);
    if (shown && shown.id === inserted.id) hide();
    inserted = null;
  });
  $("chat-ai-insert").addEventListener("click", function () {
    if (!shown) return;
    inserted = shown;
    reply.value = shown.text;
    reply.focus();
    $("chat-ai-status").textContent = gettext("Inserted: edit it if you like, then send.");
  });
  $("chat-ai-dismiss").addEventListener("click", function () {
    if (!shown) return;
    record(shown, "dismissed", "");
    if (inserted && inserted.id === shown.id) inserted = null;
    hide();
  });
})();
