/* The one chat socket client, used by the customer's chat page and the agent console: it connects, reconnects with
   backoff, and keeps every message it posts in a pending list until the server echoes the stored message with the
   same client id. After each (re)connect the server's "hello" is followed by a resend of the whole list, in order:
   the server stores a client id once (chat/services/messages.py), so resending what it already stored is harmless,
   and nothing typed is lost to a restart of the web process. */
window.ChatSocket = (function () {
  "use strict";

  // crypto.randomUUID() exists only on secure pages (https, localhost); getRandomValues on every page. The server
  // takes ids of up to 64 characters.
  function clientId(prefix) {
    var bytes = crypto.getRandomValues(new Uint8Array(16));
    return prefix + Array.prototype.map.call(bytes, function (b) { return (b | 256).toString(16).slice(1); }).join("");
  }

  /* opts:
       url()            the socket's address, asked before every connect (the customer's carries its last seq)
       onFrame(frame)   every frame from the server
       onState(state)   "open" once the server said hello, "down" while reconnecting
       onItem(item)     a pending item's state changed: "sending" (on the wire, waiting for the echo) or "retrying"
                        (not sent, or the socket went down before the echo: it goes again after the next hello)
       stop(event)      true when a close means "do not reconnect" (a token of no use)
       storeKey(frame), storePrefix   keep the pending list in sessionStorage, one key per storeKey, all starting
                        with storePrefix, so that a page reload loses nothing */
  function client(opts) {
    var socket = null, backoff = 500, items = [], storage = null;
    try {
      storage = opts.storeKey ? window.sessionStorage : null;
    } catch (e) {
      storage = null;  // storage blocked (a sandboxed frame): the list lives in memory only
    }

    function send(frame) {
      if (socket && socket.readyState === WebSocket.OPEN) { socket.send(JSON.stringify(frame)); return true; }
      return false;
    }
    function setState(item, state) {
      item.state = state;
      if (opts.onItem) opts.onItem(item);
    }
    function transmit(item) { setState(item, send(item.frame) ? "sending" : "retrying"); }

    function storedKeys() {
      var found = [];
      for (var i = 0; i < storage.length; i++) {
        var key = storage.key(i);
        if (key && key.indexOf(opts.storePrefix) === 0) found.push(key);
      }
      return found;
    }
    function save() {
      if (!storage) return;
      var byKey = {};
      items.forEach(function (item) {
        var key = opts.storePrefix + opts.storeKey(item.frame);
        (byKey[key] = byKey[key] || []).push({frame: item.frame, at: item.at});
      });
      try {
        storedKeys().forEach(function (key) { if (!byKey[key]) storage.removeItem(key); });
        Object.keys(byKey).forEach(function (key) { storage.setItem(key, JSON.stringify(byKey[key])); });
      } catch (e) {
        // Full or blocked: the list still lives in memory for as long as the page does.
      }
    }
    function load() {
      if (!storage) return;
      storedKeys().forEach(function (key) {
        try {
          JSON.parse(storage.getItem(key)).forEach(function (s) {
            items.push({id: s.frame.client_msg_id, frame: s.frame, at: s.at, state: "retrying"});
          });
        } catch (e) {
          storage.removeItem(key);  // not ours, or from an older page: unusable either way
        }
      });
      items.sort(function (a, b) { return a.at - b.at; });
    }

    // ``frame`` carries its client_msg_id; ``extra`` (say, the element showing it) stays with the item in memory.
    function post(frame, extra) {
      var item = Object.assign({id: frame.client_msg_id, frame: frame, at: Date.now(), state: ""}, extra || {});
      items.push(item);
      save();
      transmit(item);
      return item;
    }
    // The server echoed the stored message (or refused it for good): the item leaves the list, and is returned.
    function settle(id) {
      for (var i = 0; i < items.length; i++) {
        if (items[i].id === id) {
          var item = items.splice(i, 1)[0];
          save();
          return item;
        }
      }
      return null;
    }

    function open() {
      socket = new WebSocket(opts.url());
      socket.onopen = function () { backoff = 500; };
      socket.onmessage = function (e) {
        var frame = JSON.parse(e.data);
        opts.onFrame(frame);
        // After the page's own answer to hello (the console watches its open conversation first).
        if (frame.type === "hello") {
          if (opts.onState) opts.onState("open");
          items.slice().forEach(transmit);
        }
      };
      socket.onclose = function (e) {
        socket = null;
        items.forEach(function (item) { if (item.state === "sending") setState(item, "retrying"); });
        if (opts.stop && opts.stop(e)) return;
        if (opts.onState) opts.onState("down");
        setTimeout(open, backoff);
        backoff = Math.min(backoff * 2, 10000);
      };
    }

    load();
    return {
      open: open, send: send, post: post, settle: settle,
      items: function () { return items.slice(); },
    };
  }

  return {client: client, clientId: clientId};
})();
