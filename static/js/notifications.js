// Live notifications for a signed-in person over ws/notifications/ (group user.<id> and presence).
// Reading requests for readers (banner + sound, accept/decline), outcomes for clients, and live
// availability badges ([data-reader][data-availability]) everywhere. Text goes in with textContent.
(function () {
  "use strict";
  var box = document.getElementById("notifications");
  if (!box || !window.WebSocket) return;

  var LABELS = { online: "Online", busy: "In a reading", offline: "Offline" };
  var csrf = (function () {
    var m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (m) return decodeURIComponent(m[1]);
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  })();
  var retry = 1000;

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text != null) node.textContent = text;
    return node;
  }

  function chime() {
    try {
      var Ctx = window.AudioContext || window.webkitAudioContext;
      if (!Ctx) return;
      var ctx = new Ctx();
      [660, 880].forEach(function (freq, i) {
        var osc = ctx.createOscillator();
        var gain = ctx.createGain();
        osc.frequency.value = freq;
        gain.gain.setValueAtTime(0.0001, ctx.currentTime + i * 0.18);
        gain.gain.exponentialRampToValueAtTime(0.2, ctx.currentTime + i * 0.18 + 0.02);
        gain.gain.exponentialRampToValueAtTime(0.0001, ctx.currentTime + i * 0.18 + 0.3);
        osc.connect(gain).connect(ctx.destination);
        osc.start(ctx.currentTime + i * 0.18);
        osc.stop(ctx.currentTime + i * 0.18 + 0.35);
      });
    } catch (e) { /* no sound is fine */ }
  }

  function toast(text, level, opts) {
    opts = opts || {};
    var node = el("div", "toast toast-" + (level || "info") + " pointer-events-auto flex-col items-stretch");
    node.setAttribute("data-toast", "");
    node.setAttribute("role", level === "error" ? "alert" : "status");
    if (opts.id) node.id = opts.id;
    node.appendChild(el("p", "flex-1", text));
    if (opts.actions) {
      var row = el("div", "mt-2 flex gap-2");
      opts.actions.forEach(function (a) { row.appendChild(a); });
      node.appendChild(row);
    }
    var close = el("button", "btn btn-ghost btn-sm mt-2", "Dismiss");
    close.type = "button";
    close.setAttribute("data-dismiss", "");
    node.appendChild(close);
    box.appendChild(node);
    if (opts.ttl) setTimeout(function () { node.remove(); }, opts.ttl);
    return node;
  }

  function postButton(label, url, cls, attr) {
    var form = el("form");
    form.method = "post";
    form.action = url;
    var token = el("input");
    token.type = "hidden";
    token.name = "csrfmiddlewaretoken";
    token.value = csrf;
    form.appendChild(token);
    var button = el("button", "btn btn-sm " + cls, label);
    button.type = "submit";
    if (attr) button.setAttribute(attr, "");
    form.appendChild(button);
    return form;
  }

  function updateBadges(msg) {
    var nodes = document.querySelectorAll('[data-reader="' + Number(msg.profile) + '"][data-availability]');
    nodes.forEach(function (badge) {
      badge.setAttribute("data-availability", msg.availability);
      badge.className = badge.className.replace(/\bbadge-(online|busy|offline)\b/g, "").trim() + " badge-" + msg.availability;
      badge.textContent = LABELS[msg.availability] || msg.availability;
    });
    // Calls to action follow too: show the variant for the new availability ([data-cta] → [data-when]).
    document.querySelectorAll('[data-cta][data-reader="' + Number(msg.profile) + '"]').forEach(function (cta) {
      cta.querySelectorAll("[data-when]").forEach(function (variant) {
        variant.hidden = variant.getAttribute("data-when") !== msg.availability;
      });
    });
    document.body.dispatchEvent(new CustomEvent("presence-update", { detail: msg }));
  }

  // The bell: the unread count the server sends with every notification (and after "mark read").
  function updateBell(msg) {
    var unread = Math.max(0, Number(msg.unread) || 0);
    document.querySelectorAll("[data-bell]").forEach(function (bell) {
      var count = bell.querySelector("[data-unread-count]");
      if (count) { count.textContent = String(unread); count.classList.toggle("hidden", unread === 0); }
      bell.setAttribute("aria-label", unread ? "Notifications, " + unread + " unread" : "Notifications");
    });
    if (msg.text) {
      var link = null;
      if (msg.id) {
        link = el("a", "btn btn-ghost btn-sm", "Open");
        link.href = "/notifications/" + Number(msg.id) + "/";
      }
      toast(msg.text, "info", { ttl: 10000, actions: link ? [link] : null });
    }
  }

  var handlers = {
    reading_request: function (msg) {
      chime();
      var text = msg.client + " requests a " + msg.reading_type + " reading at $" + msg.rate + "/min.";
      var banner = toast(text, "warning", {
        id: "reading-request-" + Number(msg.reading),
        actions: [
          postButton("Accept", msg.accept_url, "btn-primary", "data-accept"),
          postButton("Decline", msg.decline_url, "btn-ghost", "data-decline"),
        ],
        ttl: (Number(msg.timeout) || 60) * 1000,
      });
      banner.setAttribute("data-reading-request", String(Number(msg.reading)));
    },
    reading_accepted: function (msg) {
      if (document.querySelector('[data-reading="' + Number(msg.reading) + '"]')) {
        window.location.href = msg.url; // the client's waiting page: into the room
      } else {
        toast("Your reading request was accepted.", "success");
      }
    },
    reading_declined: function (msg) { outcome(msg, "The reader declined your request."); },
    reading_expired: function (msg) { outcome(msg, "The reading request expired."); },
    reading_cancelled: function (msg) { outcome(msg, "The reading request was cancelled."); },
    reading_ended: function () { /* the room shows its own summary */ },
    presence: updateBadges,
    notification: updateBell,
  };

  function outcome(msg, text) {
    var banner = document.getElementById("reading-request-" + Number(msg.reading));
    if (banner) banner.remove();
    document.body.dispatchEvent(new CustomEvent("reading-update", { detail: msg }));
    if (!document.querySelector('[data-reading="' + Number(msg.reading) + '"]')) toast(text, "info", { ttl: 8000 });
  }

  // Private messages (community): {"kind": "messages", "unread": n, "conversation": id} updates every
  // [data-messages-unread] badge and tells the page ("messages-update"; the conversation feed refreshes).
  handlers.messages = function (msg) {
    var unread = Math.max(0, Number(msg.unread) || 0);
    document.querySelectorAll("[data-messages-unread]").forEach(function (badge) {
      badge.textContent = String(unread);
      badge.hidden = unread === 0;
    });
    document.body.dispatchEvent(new CustomEvent("messages-update", { detail: msg }));
  };

  function connect() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + window.location.host + "/ws/notifications/");
    socket.onopen = function () { retry = 1000; };
    socket.onmessage = function (event) {
      var msg;
      try { msg = JSON.parse(event.data); } catch (e) { return; }
      var handler = msg && handlers[msg.kind];
      if (handler) handler(msg);
    };
    socket.onclose = function (event) {
      if (event.code === 4401) return; // signed out
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 30000);
    };
    window.soulseerNotifications = socket;
  }
  connect();
})();
