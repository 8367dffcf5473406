/* The agent console: one socket for the live lists (waiting, mine), notifications, and the open conversation.
   Replies and notes go through the chat socket's pending list (chat-socket.js): shown as "sending…" until the
   server echoes them, kept in sessionStorage per conversation, resent after a reconnect or a reload. */
(function () {
  "use strict";
  var cfg = window.CONSOLE_CONFIG, slug = cfg.slug, me = cfg.me;
  var $ = function (id) { return document.getElementById(id); };
  var current = null, convs = {}, seen = {}, lastSeq = {}, unread = {};
  var baseTitle = document.title;
  var ITEM_STATES = {sending: gettext("sending…"), retrying: gettext("failed, retrying")};
  var STATUSES = {bot: pgettext("chat status", "With the bot"), waiting: pgettext("chat status", "Waiting"),
                  agent: pgettext("chat status", "With an agent"), closed: pgettext("chat status", "Closed")};

  var chat = ChatSocket.client({
    url: function () {
      return (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws/t/" + slug + "/chat/";
    },
    onFrame: onFrame,
    onState: function (state) {
      $("conn").textContent = state === "open" ? gettext("Connected") : gettext("Reconnecting…");
      $("offline").hidden = state === "open";
    },
    onItem: function (item) {
      if (item.li) item.li.querySelector(".state").textContent = ITEM_STATES[item.state];
    },
    storePrefix: "helpdesk-console:" + slug + ":pending:",
    storeKey: function (frame) { return String(frame.conversation); },
  });
  var send = chat.send;

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
    fill("list-waiting", waiting, gettext("No one is waiting."));
    fill("list-mine", mine, gettext("No conversations yet. Take one from the queue."));
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
    who.textContent = m.internal ? pgettext("internal note", "Note") + (m.author ? " · " + m.author : "") :
      ({customer: (convs[m.conversation] || {}).visitor || gettext("Customer"), bot: gettext("Bot"),
        agent: m.author || pgettext("chat sender", "Agent"), system: ""}[m.sender]);
    if (who.textContent) li.appendChild(who);
    li.appendChild(document.createTextNode(m.text));
    if (m.attachments && m.attachments.length) li.appendChild(fileLinks(m.attachments));
    if (m.citations && m.citations.length) {
      var s = document.createElement("span"); s.className = "sources";
      s.textContent = gettext("Sources:") + " " + m.citations.map(function (c) { return c.title; }).join(", ");
      li.appendChild(s);
    }
    return li;
  }

  function fileLinks(files) {
    return ChatFiles.links(files, function (f) { return f.agent_url; });
  }

  // A reply or note not yet echoed by the server, with its state marker; kept below the stored messages.
  function pendingBubble(item) {
    var f = item.frame, li = bubble({sender: "agent", internal: f.type === "note", text: f.text, seq: "",
                                     conversation: f.conversation});
    li.classList.add("pending");
    if (f.files && f.files.length) li.appendChild(document.createTextNode(" 📎 " + f.files.join(", ")));
    var state = document.createElement("span");
    state.className = "state";
    state.textContent = ITEM_STATES[item.state] || ITEM_STATES.sending;
    li.appendChild(state);
    item.li = li;
    $("pane-messages").appendChild(li);
    return li;
  }

  function showStored(f) {
    var log = $("pane-messages"), mine = f.client_msg_id ? chat.settle(f.client_msg_id) : null;
    if (mine && mine.li && mine.li.parentNode === log) log.replaceChild(bubble(f), mine.li);
    else log.insertBefore(bubble(f), log.querySelector("li.pending"));
    log.scrollTop = log.scrollHeight;
  }

  // The server refused a reply or note for good (not this agent's conversation any more, a bad file): the text
  // goes back into the box of its conversation rather than being dropped.
  function refused(item, detail) {
    if (item.li) item.li.remove();
    var f = item.frame;
    if (f.conversation === current) {
      var box = $("reply-text");
      box.value = f.text + (box.value ? "\n" + box.value : "");
      $("pane-error").textContent = detail;
    } else {
      var who = (convs[f.conversation] || {}).visitor || gettext("a customer");
      notify(interpolate(gettext("Not sent to %(who)s: %(detail)s (%(text)s)"), {who: who, detail: detail, text: f.text}, true));
    }
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
        if (!res.ok) { $("pane-error").textContent = res.body.detail || gettext("The file could not be sent."); return; }
        if (conversation === current) { staged.add(res.body); }
      }, function () { $("pane-error").textContent = gettext("The file could not be sent. Check your connection."); });
  }

  function showPane(c) {
    $("empty").hidden = true; $("pane").hidden = false;
    $("pane-title").textContent = c.visitor + (c.email ? " <" + c.email + ">" : "");
    $("pane-status").textContent = (STATUSES[c.status] || c.status) + (c.assigned_agent_name ? " · " + c.assigned_agent_name : "");
    $("pane-ticket").textContent = c.ticket_id ? interpolate(gettext("Ticket #%s"), [c.ticket_id]) : "";
    var summary = $("pane-summary");
    if (c.handoff_summary) {
      summary.hidden = false;
      var tried = (c.handoff_sources || []).map(function (s) { return s.title; }).join(", ");
      summary.textContent = interpolate(gettext("Hand-off (%(reason)s): %(summary)s"),
                                        {reason: c.handoff_reason, summary: c.handoff_summary}, true) +
        (tried ? " — " + interpolate(gettext("sources tried: %s"), [tried]) : "");
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
    history.replaceState(null, "", "#c" + id);  // a reload opens it again, with its pending replies
    $("pane-messages").innerHTML = "";
    chat.items().forEach(function (item) { if (item.frame.conversation === id) pendingBubble(item); });
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
        $("presence").value = f.presence;
        convs = {};
        f.waiting.concat(f.mine).forEach(function (c) { convs[c.id] = c; });
        renderLists();
        if (current) { var id = current; current = null; open(id); }
        break;
      case "conversation":
        var known = convs[f.id];
        convs[f.id] = f;
        if (known && known.status !== "waiting" && f.status === "waiting") notify(interpolate(gettext("%s is waiting for an agent."), [f.visitor]));
        renderLists();
        if (f.id === current) showPane(f);
        break;
      case "offer":
        convs[f.id] = Object.assign({}, f, {type: "conversation"});
        notify(interpolate(gettext("New chat: %s is waiting."), [f.visitor]) + (f.handoff_summary ? " " + f.handoff_summary : ""));
        renderLists();
        break;
      case "assigned":
        convs[f.id] = Object.assign({}, f, {type: "conversation"});
        notify(interpolate(gettext("%s was transferred to you."), [f.visitor]));
        renderLists();
        break;
      case "message":
        var cid = f.conversation;
        if (cid === current) {
          if (seen[cid][f.seq]) return;
          seen[cid][f.seq] = true;
          lastSeq[cid] = Math.max(lastSeq[cid] || 0, f.seq);
          showStored(f);
          if (f.sender === "customer") { send({type: "read", conversation: cid, seq: f.seq}); $("pane-typing").hidden = true; }
        } else if (f.client_msg_id && chat.settle(f.client_msg_id)) {
          return;  // ours, echoed while another conversation is open
        } else if (f.sender === "customer") {
          unread[cid] = (unread[cid] || 0) + 1;
          notify(interpolate(gettext("New message from %s."), [(convs[cid] || {}).visitor || gettext("a customer")]));
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
        if (current) $("pane-ticket").textContent += " · " + interpolate(gettext("rated %s/5"), [f.score]);
        break;
      case "presence":
        $("presence").value = f.presence;
        break;
      case "error":
        var item = f.ref ? chat.settle(f.ref) : null;
        if (item) refused(item, f.detail); else $("pane-error").textContent = f.detail;
        break;
    }
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
    var text = $("reply-text").value.trim(), files = staged.files();
    if (!current || (!text && !files.length)) return;
    var note = $("as-note").checked;
    document.dispatchEvent(new CustomEvent("console:send", {detail: {conversation: current, text: text, note: note}}));
    // Sent or not (the socket may be down), the box is emptied only once the item is in the pending list.
    var frame = {type: note ? "note" : "reply", conversation: current, text: text,
                 client_msg_id: ChatSocket.clientId("a"), attachments: files.map(function (f) { return f.id; }),
                 files: files.map(function (f) { return f.filename; })};  // names for the bubble after a reload
    pendingBubble(chat.post(frame));
    $("pane-messages").scrollTop = $("pane-messages").scrollHeight;
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
  chat.open();
})();
