// The reading room: chat, a WebRTC call (voice/video) signalled through ws/readings/<id>/, and the
// live timer / cost / balance driven by the server's billing events. The server decides every charge;
// this page only shows it. Everything from the network is inserted with textContent.
(function () {
  "use strict";
  var configNode = document.getElementById("reading-config");
  if (!configNode) return;
  var cfg = JSON.parse(configNode.textContent);
  var hasCall = cfg.type === "voice" || cfg.type === "video";
  var $ = function (id) { return document.getElementById(id); };

  var ws = null;
  var pc = null;
  var localStream = null;
  var pendingIce = [];
  var ended = false;
  var retry = 1000;
  var clock = { base: 0, at: performance.now(), running: false };
  var mediaReady = hasCall ? setupMedia() : Promise.resolve();

  // --- status lines ---------------------------------------------------------------------
  function status(text) { $("room-status").textContent = text; }
  function alertBox(text) {
    var box = $("room-alert");
    box.textContent = text;
    box.classList.toggle("hidden", !text);
  }
  function callStatus(text) { var n = $("call-status"); if (n) { n.textContent = text; n.classList.toggle("hidden", !text); } }
  function mediaError(text) { var n = $("media-error"); if (n) { n.textContent = text; n.classList.toggle("hidden", !text); } }

  // --- the timer ------------------------------------------------------------------------
  function fmt(seconds) {
    seconds = Math.max(0, Math.floor(seconds));
    var h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60), s = seconds % 60;
    var mm = h ? String(m).padStart(2, "0") : String(m);
    return (h ? h + ":" : "") + mm + ":" + String(s).padStart(2, "0");
  }
  setInterval(function () {
    var elapsed = clock.base + (clock.running ? (performance.now() - clock.at) / 1000 : 0);
    $("timer").textContent = fmt(elapsed);
  }, 250);

  function onBilling(msg) {
    clock.base = Number(msg.elapsed) || 0;
    clock.at = performance.now();
    clock.running = msg.status === "active" && !msg.paused;
    $("minutes").textContent = String(msg.minutes);
    $("cost").textContent = "$" + msg.cost;
    if (msg.client_balance != null && $("balance")) $("balance").textContent = "$" + msg.client_balance;
    // The reader's earnings are the server's figure (the ledger's per-minute split), never recomputed here.
    if ($("share") && msg.reader_share != null) $("share").textContent = "$" + msg.reader_share;
    if (msg.status === "active") status(msg.paused ? "Paused: waiting for the other person to reconnect. Billing is paused." : "Live. Billing per minute at $" + msg.rate + "/min.");
    else if (msg.status === "accepted") status("Waiting for the other person to join. Billing starts when you are both here.");
  }

  // --- chat -----------------------------------------------------------------------------
  function addChat(msg) {
    var li = document.createElement("li");
    li.className = "chat-line";
    li.setAttribute("data-role", msg.role === "reader" ? "reader" : "client");
    var who = document.createElement("span");
    who.className = "font-semibold text-pink";
    who.textContent = msg.name + ": ";
    var text = document.createElement("span");
    text.className = "chat-text";
    text.textContent = msg.text;
    li.appendChild(who);
    li.appendChild(text);
    $("chat-log").appendChild(li);
    li.scrollIntoView({ block: "nearest" });
  }
  $("chat-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var input = $("chat-input");
    var text = input.value.trim();
    if (!text || !ws || ws.readyState !== WebSocket.OPEN) return;
    ws.send(JSON.stringify({ type: "chat", text: text }));
    input.value = "";
    input.focus();
  });

  // --- ending ---------------------------------------------------------------------------
  $("end-form").addEventListener("submit", function (event) {
    if (ws && ws.readyState === WebSocket.OPEN) {
      event.preventDefault();
      $("end-reading").disabled = true;
      ws.send(JSON.stringify({ type: "end" }));
    }
  });

  function onEnded(msg) {
    ended = true;
    clock.running = false;
    alertBox(msg.message);
    status("The reading has ended. " + msg.summary.minutes + " minute(s), $" + msg.summary.total + ".");
    teardownCall();
    if (localStream) localStream.getTracks().forEach(function (t) { t.stop(); });
    setTimeout(function () { window.location.href = msg.url || cfg.summaryUrl; }, 1200);
  }

  // --- media ----------------------------------------------------------------------------
  function describeMediaError(err) {
    var name = err && err.name;
    var what = cfg.type === "video" ? "camera or microphone" : "microphone";
    if (name === "NotAllowedError" || name === "SecurityError") return "Permission to use your " + what + " was denied. Allow it in your browser's site settings and reload; you can still chat.";
    if (name === "NotFoundError" || name === "OverconstrainedError") return "No " + what + " was found. Connect one and reload; you can still chat and see or hear the other person.";
    if (name === "NotReadableError") return "Your " + what + " is in use by another application. Close it and reload.";
    if (!navigator.mediaDevices) return "This browser cannot use a " + what + " here (it needs HTTPS). You can still chat.";
    return "Your " + what + " could not be started (" + (name || "unknown error") + "). You can still chat.";
  }

  function setupMedia() {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      mediaError(describeMediaError(null));
      return Promise.resolve();
    }
    return navigator.mediaDevices.getUserMedia({ audio: true, video: cfg.type === "video" })
      .then(function (stream) {
        localStream = stream;
        var local = $("local-media");
        if (local) local.srcObject = stream;
        return fillDevices();
      })
      .catch(function (err) { mediaError(describeMediaError(err)); });
  }

  function fillDevices() {
    if (!navigator.mediaDevices.enumerateDevices) return Promise.resolve();
    return navigator.mediaDevices.enumerateDevices().then(function (devices) {
      [["audioinput", "mic-select", "audio"], ["videoinput", "camera-select", "video"]].forEach(function (spec) {
        var select = $(spec[1]);
        if (!select) return;
        select.textContent = "";
        var current = localStream && localStream.getTracks().filter(function (t) { return t.kind === spec[2]; })[0];
        var currentId = current && current.getSettings ? current.getSettings().deviceId : "";
        devices.filter(function (d) { return d.kind === spec[0]; }).forEach(function (d, i) {
          var option = document.createElement("option");
          option.value = d.deviceId;
          option.textContent = d.label || (spec[2] === "audio" ? "Microphone " : "Camera ") + (i + 1);
          if (d.deviceId === currentId) option.selected = true;
          select.appendChild(option);
        });
        select.onchange = function () { switchDevice(spec[2], select.value); };
      });
    });
  }

  function switchDevice(kind, deviceId) {
    var constraints = kind === "audio" ? { audio: { deviceId: { exact: deviceId } } } : { video: { deviceId: { exact: deviceId } } };
    navigator.mediaDevices.getUserMedia(constraints).then(function (stream) {
      var track = stream.getTracks()[0];
      if (localStream) {
        localStream.getTracks().filter(function (t) { return t.kind === kind; }).forEach(function (old) {
          track.enabled = old.enabled;
          localStream.removeTrack(old);
          old.stop();
        });
        localStream.addTrack(track);
      }
      if (pc) pc.getSenders().forEach(function (sender) { if (sender.track && sender.track.kind === kind) sender.replaceTrack(track); });
      mediaError("");
    }).catch(function (err) { mediaError(describeMediaError(err)); });
  }

  function toggle(kind, buttonId, onText, offText) {
    var button = $(buttonId);
    if (!button) return;
    button.addEventListener("click", function () {
      if (!localStream) { mediaError(describeMediaError({ name: "NotFoundError" })); return; }
      var tracks = localStream.getTracks().filter(function (t) { return t.kind === kind; });
      var off = button.getAttribute("aria-pressed") !== "true";
      tracks.forEach(function (t) { t.enabled = !off; });
      button.setAttribute("aria-pressed", off ? "true" : "false");
      button.textContent = off ? offText : onText;
    });
  }
  toggle("audio", "toggle-mic", "Mute microphone", "Unmute microphone");
  toggle("video", "toggle-cam", "Turn camera off", "Turn camera on");

  // --- WebRTC: the client offers, the reader answers ------------------------------------
  function teardownCall() {
    if (pc) { pc.ontrack = null; pc.onicecandidate = null; pc.close(); pc = null; }
    pendingIce = [];
  }

  function newPeerConnection() {
    teardownCall();
    pc = new RTCPeerConnection({ iceServers: cfg.iceServers || [], iceTransportPolicy: cfg.iceTransportPolicy === "relay" ? "relay" : "all" });
    if (localStream) {
      localStream.getTracks().forEach(function (t) { pc.addTrack(t, localStream); });
    } else {
      pc.addTransceiver("audio", { direction: "recvonly" });
      if (cfg.type === "video") pc.addTransceiver("video", { direction: "recvonly" });
    }
    pc.onicecandidate = function (event) {
      if (event.candidate) send({ type: "signal", kind: "ice", data: event.candidate.toJSON() });
    };
    pc.ontrack = function (event) {
      var remote = $("remote-media");
      var stream = event.streams && event.streams[0] ? event.streams[0] : new MediaStream([event.track]);
      if (remote.srcObject !== stream) {
        remote.srcObject = stream;
        var played = remote.play();
        if (played && played.catch) {
          played.catch(function () {
            // Autoplay with sound was blocked: play muted and offer a button to unmute.
            remote.muted = true;
            remote.play();
            offerUnmute(remote);
          });
        }
      }
    };
    pc.onconnectionstatechange = function () {
      var state = pc && pc.connectionState;
      if (state === "connected") callStatus("");
      else if (state === "failed") callStatus("The call could not connect. Check your network; chat still works.");
      else if (state === "disconnected") callStatus("Call interrupted, reconnecting…");
    };
    return pc;
  }

  function offerUnmute(remote) {
    if ($("unmute-remote")) return;
    var button = document.createElement("button");
    button.type = "button";
    button.id = "unmute-remote";
    button.className = "btn btn-gold btn-sm";
    button.textContent = "Turn on sound";
    button.addEventListener("click", function () { remote.muted = false; remote.play(); button.remove(); });
    $("toggle-mic").parentNode.appendChild(button);
  }

  function startCall() {
    if (!hasCall || ended) return;
    mediaReady.then(function () {
      var conn = newPeerConnection();
      callStatus("Connecting the call…");
      return conn.createOffer().then(function (offer) {
        return conn.setLocalDescription(offer);
      }).then(function () {
        send({ type: "signal", kind: "offer", data: { type: "offer", sdp: conn.localDescription.sdp } });
      });
    }).catch(function (err) { callStatus("The call could not start: " + err); });
  }

  function flushIce() {
    var queued = pendingIce;
    pendingIce = [];
    queued.forEach(function (c) { pc.addIceCandidate(c).catch(function () {}); });
  }

  function onSignal(msg) {
    if (!hasCall) return;
    if (msg.kind === "offer" && cfg.role === "reader") {
      mediaReady.then(function () {
        var conn = newPeerConnection();
        callStatus("Connecting the call…");
        return conn.setRemoteDescription({ type: "offer", sdp: msg.data.sdp })
          .then(function () { flushIce(); return conn.createAnswer(); })
          .then(function (answer) { return conn.setLocalDescription(answer); })
          .then(function () { send({ type: "signal", kind: "answer", data: { type: "answer", sdp: conn.localDescription.sdp } }); });
      }).catch(function (err) { callStatus("The call could not start: " + err); });
    } else if (msg.kind === "answer" && cfg.role === "client" && pc) {
      pc.setRemoteDescription({ type: "answer", sdp: msg.data.sdp }).then(flushIce).catch(function () {});
    } else if (msg.kind === "ice") {
      if (pc && pc.remoteDescription) pc.addIceCandidate(msg.data).catch(function () {});
      else pendingIce.push(msg.data);
    }
  }

  // --- the socket -----------------------------------------------------------------------
  function send(obj) {
    if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(obj));
  }

  var handlers = {
    hello: function (msg) {
      if (msg.peer_present) { status("You are both here."); if (cfg.role === "client") startCall(); }
      else status("Waiting for " + cfg.peerName + " to join. Billing starts when you are both here.");
    },
    peer: function (msg) {
      if (msg.event === "joined") {
        status(cfg.peerName + " joined.");
        if (cfg.role === "client") startCall();
      } else {
        status(cfg.peerName + " left. Billing is paused until they are back.");
        callStatus(cfg.peerName + " disconnected…");
      }
    },
    presence: function (msg) {
      // The other person's connection dropped (billing paused from when they were last heard) or came back.
      alertBox(msg.present ? "" : msg.message);
      status(msg.message);
      callStatus(msg.present ? "" : cfg.peerName + " lost connection…");
    },
    beat: function () { send({ type: "beat" }); },  // the server's presence check: answer every one
    started: function () { status("The reading has started."); },
    billing: onBilling,
    warning: function (msg) { alertBox(msg.message); },
    chat: addChat,
    signal: onSignal,
    ended: onEnded,
    error: function (msg) { if (msg.code === "replaced") ended = true; status(msg.message); },
  };

  function connect() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    ws = new WebSocket(scheme + window.location.host + cfg.ws);
    ws.onopen = function () { retry = 1000; };
    ws.onmessage = function (event) {
      var msg;
      try { msg = JSON.parse(event.data); } catch (e) { return; }
      var handler = msg && handlers[msg.type];
      if (handler) handler(msg);
    };
    ws.onclose = function (event) {
      if (ended || event.code === 4000) return;
      if (event.code === 4409) { status("This reading is open in another tab or window."); return; }
      if (event.code === 4403 || event.code === 4401 || event.code === 1006 && retry > 16000) {
        status("This reading is not open any more.");
        setTimeout(function () { window.location.href = cfg.summaryUrl; }, 1500);
        return;
      }
      status("Connection lost, reconnecting… (billing pauses while you are away)");
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 30000);
    };
  }
  connect();
  window.soulseerRoom = { cfg: cfg, socket: function () { return ws; }, pc: function () { return pc; } };
})();
