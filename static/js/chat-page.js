/* The customer's chat: hosted page and widget iframe. One socket (chat-socket.js); every message carries a client
   id, so a resend after a reconnect is idempotent; the socket resumes from the last sequence number seen.
   Words go through gettext() of the page's catalogue (/jsi18n/?lang=, loaded by base.html): the tenant's language. */
(function () {
  "use strict";
  var cfg = window.CHAT_CONFIG, slug = cfg.slug;
  var storeKey = "helpdesk-chat:" + slug;
  var $ = function (id) { return document.getElementById(id); };
  var token = localStorage.getItem(storeKey);
  var lastSeq = 0, seen = {}, status = "bot", agentRead = 0;
  var rating = 0, conversationId = null;
  var chat = ChatSocket.client({
    url: function () {
      return (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws/c/" + slug +
        "/visitor/?token=" + encodeURIComponent(token) + "&after=" + lastSeq;
    },
    onFrame: onFrame,
    onState: function (state) { if (state === "down") setState(gettext("Reconnecting…")); },
    stop: function (e) {
      if (e.code !== 4404 && e.code !== 4403) return false;
      localStorage.removeItem(storeKey); token = null; start();  // token of no use here: start over
      return true;
    },
  });
  var send = chat.send;
  function setState(text) { $("chat-state").textContent = text; }

  function showChat() { $("prechat").hidden = true; $("chat").hidden = false; }
  function showPrechat() { $("prechat").hidden = false; $("chat").hidden = true; }

  function bubble(m) {
    var li = document.createElement("li");
    li.className = m.sender + (m.pending ? " pending" : "");
    li.dataset.seq = m.seq || "";
    if (m.sender === "agent" || m.sender === "bot") {
      var who = document.createElement("span");
      who.className = "who";
      who.textContent = m.sender === "bot" ? gettext("Assistant") : (m.author || pgettext("chat sender", "Agent"));
      li.appendChild(who);
    }
    li.appendChild(document.createTextNode(m.text));
    if (m.attachments && m.attachments.length) li.appendChild(fileLinks(m.attachments));
    if (m.citations && m.citations.length) {
      var sources = document.createElement("span");
      sources.className = "sources";
      sources.appendChild(document.createTextNode(gettext("Sources:") + " "));
      m.citations.forEach(function (c, i) {
        var a = document.createElement("a");
        a.href = c.url; a.textContent = c.title || c.url; a.target = "_blank"; a.rel = "noopener";
        if (i) sources.appendChild(document.createTextNode(", "));
        sources.appendChild(a);
      });
      li.appendChild(sources);
    }
    return li;
  }

  function fileLinks(files) {
    // A plain link: the signed token authenticates the download (no cookie inside a third-party page).
    return ChatFiles.links(files, function (f) { return f.url ? f.url + "?token=" + encodeURIComponent(token) : "#"; });
  }

  var staged = ChatFiles.staged($("staged"));
  function fileError(text) { $("file-error").textContent = text || ""; $("file-error").hidden = !text; }

  function upload(file) {
    var body = new FormData();
    body.append("file", file);
    fileError("");
    return fetch("/c/" + slug + "/attachments/", {method: "POST", body: body, headers: {"X-Chat-Token": token}})
      .then(function (r) { return r.json().then(function (b) { return {ok: r.ok, body: b}; }); })
      .then(function (res) {
        if (res.ok) { staged.add(res.body); }
        else fileError(res.body.detail || gettext("The file could not be sent."));
      }, function () { fileError(gettext("The file could not be sent. Check your connection.")); });
  }

  function render(m) {
    var log = $("messages"), mine = m.client_msg_id ? chat.settle(m.client_msg_id) : null;
    if (mine && mine.li) {
      log.replaceChild(bubble(m), mine.li);
    } else {
      log.appendChild(bubble(m));
    }
    log.scrollTop = log.scrollHeight;
    markSeen();
  }

  function markSeen() {
    var items = document.querySelectorAll("#messages li.customer");
    items.forEach(function (li) {
      var s = li.querySelector(".seen");
      var read = li.dataset.seq && Number(li.dataset.seq) <= agentRead;
      if (read && !s) { s = document.createElement("span"); s.className = "seen"; s.textContent = gettext("Seen"); li.appendChild(s); }
    });
  }

  function applyStatus(s) {
    status = s;
    var closed = s === "closed";
    $("composer").hidden = closed;
    $("human").hidden = closed || s !== "bot";
    $("restart").hidden = !closed;
    if (!closed) { $("csat").hidden = true; }
    setState({bot: gettext("Assistant"), waiting: gettext("Waiting for an agent…"), agent: gettext("Chatting with an agent"),
              closed: gettext("Chat ended")}[s] || "");
  }

  function onFrame(f) {
    switch (f.type) {
      case "hello":
        conversationId = f.conversation;
        applyStatus(f.status);
        if (f.rated) { $("csat").hidden = true; $("csat-thanks").hidden = false; }
        else if (f.status === "closed") { $("csat").hidden = false; }
        break;
      case "message":
        if (f.conversation !== conversationId || seen[f.seq]) return;
        seen[f.seq] = true;
        lastSeq = Math.max(lastSeq, f.seq);
        render(f);
        if (f.sender !== "customer" && document.visibilityState !== "hidden") send({type: "read", seq: f.seq});
        if (f.sender === "agent") $("typing").hidden = true;
        break;
      case "ack":
        if (f.message) onFrame(f.message);  // the stored message: the server sends no other copy to this socket
        break;
      case "status":
        applyStatus(f.status);
        if (f.status === "closed") $("csat").hidden = false;
        break;
      case "typing":
        $("typing").hidden = false;
        clearTimeout(onFrame.typingTimer);
        onFrame.typingTimer = setTimeout(function () { $("typing").hidden = true; }, 3000);
        break;
      case "read":
        if (f.by === "agent") { agentRead = Math.max(agentRead, f.seq); markSeen(); }
        break;
      case "rated":
        $("csat").hidden = true; $("csat-thanks").hidden = false;
        break;
      case "error":
        var refused = f.ref ? chat.settle(f.ref) : null;
        if (refused && refused.li) refused.li.remove();
        setState(f.detail);
        break;
    }
  }

  function startChat(data) {
    return fetch("/c/" + slug + "/start/", {method: "POST", body: data}).then(function (r) {
      return r.json().then(function (body) { return {ok: r.ok, body: body}; });
    });
  }

  function showErrors(errors) {
    document.querySelectorAll("#prechat-form .error").forEach(function (e) { e.remove(); });
    Object.keys(errors || {}).forEach(function (name) {
      var input = document.querySelector("#prechat-form [name=" + name + "]");
      var list = errors[name];
      var p = document.createElement("p");
      p.className = "error"; p.setAttribute("role", "alert");
      p.textContent = list.map(function (e) { return e.message || e; }).join(" ");
      (input ? input.parentNode : $("prechat-form")).appendChild(p);
    });
  }

  function begin(body) {
    token = body.token;
    localStorage.setItem(storeKey, token);
    showChat();
    chat.open();
  }

  function start() {
    if (token) { showChat(); chat.open(); return; }
    if (cfg.prechat) { showPrechat(); return; }
    startChat(new FormData()).then(function (res) { if (res.ok) begin(res.body); });
  }

  $("prechat-form").addEventListener("submit", function (e) {
    e.preventDefault();
    startChat(new FormData(e.target)).then(function (res) {
      if (res.ok) begin(res.body); else showErrors(res.body.errors);
    });
  });

  $("composer").addEventListener("submit", function (e) {
    e.preventDefault();
    var text = $("text").value.trim();
    if (!text && !staged.files().length) return;
    var files = staged.files(), ids = files.map(function (f) { return f.id; });
    var li = bubble({sender: "customer", text: text, pending: true, attachments: files});
    $("messages").appendChild(li);
    $("text").value = "";
    staged.clear();
    chat.post({type: "message", text: text, client_msg_id: ChatSocket.clientId("c"), attachments: ids}, {li: li});
  });
  $("file").addEventListener("change", function () {
    Array.prototype.forEach.call(this.files, upload);
    this.value = "";
  });
  $("text").addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); $("composer").requestSubmit(); return; }
    var now = Date.now();
    if (!this.lastTyping || now - this.lastTyping > 2000) { this.lastTyping = now; send({type: "typing"}); }
  });
  $("human").addEventListener("click", function () { send({type: "handoff"}); });
  document.querySelectorAll(".star").forEach(function (b) {
    b.addEventListener("click", function () {
      rating = Number(b.dataset.score);
      document.querySelectorAll(".star").forEach(function (o) { o.setAttribute("aria-pressed", String(o === b)); });
      $("csat-send").disabled = false;
    });
  });
  $("csat-send").addEventListener("click", function () {
    send({type: "rate", score: rating, comment: $("csat-comment").value});
  });
  $("restart").addEventListener("click", function () {
    $("messages").innerHTML = ""; seen = {}; lastSeq = 0; $("csat-thanks").hidden = true;
    send({type: "new"});
  });
  start();
})();
