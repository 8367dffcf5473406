/* The agent console: one socket for the live lists (waiting, mine), notifications, and the open conversation. */
(function () {
  "use strict";
  var cfg = window.CONSOLE_CONFIG, slug = cfg.slug, me = cfg.me;
  var $ = function (id) { return document.getElementById(id); };
  var socket = null, backoff = 500, current = null, convs = {}, seen = {}, lastSeq = {}, unread = {};
  var baseTitle = document.title;

  function uid() { return "a" + Date.now().toString(36) + Math.random().toString(36).slice(2, 10); }
  function send(frame) {
    if (socket && socket.readyState === WebSocket.OPEN) { socket.send(JSON.stringify(frame)); return true; }
    return false;
  }

  function notify(text) {
    var n = $("notify");
    n.textContent = text; n.hidden = false;
    clearTimeout(notify.timer);
    notify.timer = setTimeout(function () { n.hidden = true; }, 8000);
    updateTitle();
  }
  function updateTitle() {
    var total = Object.keys(unread).reduce(function (s, k) { return s + unread[k]; }, 0);
    var waiting = Object.keys(convs).filter(function (k) { return convs[k].status === "waiting"; }).length;
    var n = total + waiting;
    document.title = (n ? "(" + n + ") " : "") + baseTitle;
  }

  function renderLists() {
    var waiting = [], mine = [];
    Object.keys(convs).forEach(function (k) {
      var c = convs[k];
      if (c.status === "waiting") waiting.push(c);
      else if (c.status === "agent" && c.assigned_agent === me) mine.push(c);
    });
    fill("list-waiting", waiting, "No one is waiting.");
    fill("list-mine", mine, "No conversations yet. Take one from the queue.");
    $("count-waiting").textContent = waiting.length;
    $("count-mine").textContent = mine.length;
    updateTitle();
  }
  function fill(id, items, emptyText) {
    var ul = $(id);
    ul.innerHTML = "";
    if (!items.length) {
      var li = document.createElement("li"); li.className = "muted empty-row"; li.textContent = emptyText; ul.appendChild(li); return;
    }
    items.forEach(function (c) {
      var li = document.createElement("li");
      li.dataset.id = c.id;
      if (current === c.id) li.setAttribute("aria-current", "true");
      var a = document.createElement("a");
      a.href = "#c" + c.id; a.textContent = c.visitor;
      li.appendChild(a);
      if (c.team) { var t = document.createElement("span"); t.className = "muted"; t.textContent = " " + c.team; li.appendChild(t); }
      if (unread[c.id]) { var b = document.createElement("span"); b.className = "badge unread"; b.textContent = unread[c.id]; li.appendChild(b); }
      ul.appendChild(li);
    });
  }

  function bubble(m) {
    var li = document.createElement("li");
    li.className = m.sender + (m.internal ? " internal" : "");
    li.dataset.seq = m.seq;
    var who = document.createElement("span");
    who.className = "who";
    who.textContent = m.internal ? "Note" + (m.author ? " · " + m.author : "") :
      ({customer: (convs[m.conversation] || {}).visitor || "Customer", bot: "Bot", agent: m.author || "Agent", system: ""}[m.sender]);
    if (who.textContent) li.appendChild(who);
    li.appendChild(document.createTextNode(m.text));
    if (m.attachments && m.attachments.length) li.appendChild(fileLinks(m.attachments));
    if (m.citations && m.citations.length) {
      var s = document.createElement("span"); s.className = "sources";
      s.textContent = "Sources: " + m.citations.map(function (c) { return c.title; }).join(", ");
      li.appendChild(s);
    }
    return li;
  }

  function fileLinks(files) {
    return ChatFiles.links(files, function (f) { return f.agent_url; });
  }

  // Files uploaded for the open conversation, sent with the next reply or note: [{id, filename}].
  var staged = ChatFiles.staged($("reply-staged"));
  function upload(file) {
    var body = new FormData(), conversation = current;
    body.append("file", file);
    var csrf = document.querySelector("#reply-form [name=csrfmiddlewaretoken]").value;
    return fetch("/t/" + slug + "/chat/" + conversation + "/attachments/", {
      method: "POST", body: body, headers: {"X-CSRFToken": csrf}, credentials: "same-origin",
    }).then(function (r) { return r.json().then(function (b) { return {ok: r.ok, body: b}; }); })
      .then(function (res) {
        if (!res.ok) { $("pane-error").textContent = res.body.detail || "The file could not be sent."; return; }
        if (conversation === current) { staged.add(res.body); }
      }, function () { $("pane-error").textContent = "The file could not be sent. Check your connection."; });
  }

  function showPane(c) {
    $("empty").hidden = true; $("pane").hidden = false;
    $("pane-title").textContent = c.visitor + (c.email ? " <" + c.email + ">" : "");
    $("pane-status").textContent = c.status + (c.assigned_agent_name ? " · " + c.assigned_agent_name : "");
    $("pane-ticket").textContent = c.ticket_id ? "Ticket #" + c.ticket_id : "";
    var summary = $("pane-summary");
    if (c.handoff_summary) {
      summary.hidden = false;
      summary.textContent = "Hand-off (" + c.handoff_reason + "): " + c.handoff_summary +
        (c.handoff_sources && c.handoff_sources.length ? " — sources tried: " + c.handoff_sources.map(function (s) { return s.title; }).join(", ") : "");
    } else { summary.hidden = true; }
    var mineNow = c.status === "agent" && c.assigned_agent === me;
    $("take").hidden = c.status === "closed" || mineNow;
    $("close-resolved").hidden = c.status === "closed";
    $("close-ticket").hidden = c.status === "closed" && !!c.ticket_id;
    $("reopen").hidden = c.status !== "closed";
    $("reply-form").hidden = c.status === "closed";
  }

  function open(id) {
    if (current === id) return;
    current = id;
    document.dispatchEvent(new CustomEvent("console:open", {detail: {conversation: id}}));  // chat-suggestions.js
    $("pane-messages").innerHTML = "";
    staged.clear();
    seen[id] = {};
    lastSeq[id] = 0;
    $("pane-error").textContent = "";
    send({type: "watch", conversation: id, after: 0});
    unread[id] = 0;
    renderLists();
  }

  function onFrame(f) {
    document.dispatchEvent(new CustomEvent("console:frame", {detail: f}));
    switch (f.type) {
      case "hello":
        $("conn").textContent = "Connected";
        $("presence").value = f.presence;
        convs = {};
        f.waiting.concat(f.mine).forEach(function (c) { convs[c.id] = c; });
        renderLists();
        if (current) { var id = current; current = null; open(id); }
        break;
      case "conversation":
        var known = convs[f.id];
        convs[f.id] = f;
        if (known && known.status !== "waiting" && f.status === "waiting") notify(f.visitor + " is waiting for an agent.");
        renderLists();
        if (f.id === current) showPane(f);
        break;
      case "offer":
        convs[f.id] = Object.assign({}, f, {type: "conversation"});
        notify("New chat: " + f.visitor + " is waiting." + (f.handoff_summary ? " " + f.handoff_summary : ""));
        renderLists();
        break;
      case "assigned":
        convs[f.id] = Object.assign({}, f, {type: "conversation"});
        notify(f.visitor + " was transferred to you.");
        renderLists();
        break;
      case "message":
        var cid = f.conversation;
        if (cid === current) {
          if (seen[cid][f.seq]) return;
          seen[cid][f.seq] = true;
          lastSeq[cid] = Math.max(lastSeq[cid] || 0, f.seq);
          var log = $("pane-messages");
          log.appendChild(bubble(f));
          log.scrollTop = log.scrollHeight;
          if (f.sender === "customer") { send({type: "read", conversation: cid, seq: f.seq}); $("pane-typing").hidden = true; }
        } else if (f.sender === "customer") {
          unread[cid] = (unread[cid] || 0) + 1;
          notify("New message from " + ((convs[cid] || {}).visitor || "a customer") + ".");
          renderLists();
        }
        break;
      case "ack":
        if (f.message) onFrame(f.message);  // the stored reply or note: the server sends no other copy to this tab
        break;
      case "typing":
        if (f.conversation === current) {
          $("pane-typing").hidden = false;
          clearTimeout(onFrame.typingTimer);
          onFrame.typingTimer = setTimeout(function () { $("pane-typing").hidden = true; }, 3000);
        }
        break;
      case "rated":
        if (current) $("pane-ticket").textContent += " · rated " + f.score + "/5";
        break;
      case "presence":
        $("presence").value = f.presence;
        break;
      case "error":
        $("pane-error").textContent = f.detail;
        break;
    }
  }

  function connect() {
    var proto = location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(proto + location.host + "/ws/t/" + slug + "/chat/");
    socket.onopen = function () { backoff = 500; };
    socket.onmessage = function (e) { onFrame(JSON.parse(e.data)); };
    socket.onclose = function () {
      $("conn").textContent = "Reconnecting…";
      setTimeout(connect, backoff);
      backoff = Math.min(backoff * 2, 10000);
    };
  }

  function act(type, extra) { if (current) send(Object.assign({type: type, conversation: current}, extra || {})); }

  document.querySelectorAll(".conv-list").forEach(function (ul) {
    ul.addEventListener("click", function (e) {
      var li = e.target.closest("li[data-id]");
      if (!li) return;
      e.preventDefault();
      open(Number(li.dataset.id));
    });
  });
  $("take").addEventListener("click", function () { act("take"); });
  $("close-resolved").addEventListener("click", function () { act("close", {resolved: true}); });
  $("close-ticket").addEventListener("click", function () {
    var c = convs[current];
    if (c && c.status === "closed") act("convert"); else act("close", {resolved: false});
  });
  $("reopen").addEventListener("click", function () { act("reopen"); });
  $("transfer").addEventListener("click", function () {
    var agent = $("transfer-agent").value, team = $("transfer-team").value.trim();
    if (agent) act("transfer", {agent: Number(agent)}); else if (team) act("transfer", {team: team});
  });
  $("reply-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var text = $("reply-text").value.trim();
    if (!text && !staged.files().length) return;
    document.dispatchEvent(new CustomEvent("console:send", {detail: {conversation: current, text: text, note: $("as-note").checked}}));
    act($("as-note").checked ? "note" : "reply", {
      text: text, client_msg_id: uid(), attachments: staged.files().map(function (f) { return f.id; }),
    });
    $("reply-text").value = "";
    staged.clear();
  });
  $("reply-file").addEventListener("change", function () {
    $("pane-error").textContent = "";
    Array.prototype.forEach.call(this.files, upload);
    this.value = "";
  });
  $("reply-text").addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); $("reply-form").requestSubmit(); return; }
    var now = Date.now();
    if (!this.lastTyping || now - this.lastTyping > 2000) { this.lastTyping = now; act("typing"); }
  });
  $("presence").addEventListener("change", function () { send({type: "presence", presence: this.value}); });
  var hash = location.hash.match(/^#c(\d+)$/);
  if (hash) current = Number(hash[1]);
  connect();
})();
