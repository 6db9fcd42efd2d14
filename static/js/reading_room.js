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
  // Each offer is a numbered call; answers and candidates carry its number, so a late answer or
  // candidate of a superseded call (two offers close together, a reconnect) never reaches the new one.
  var callId = 0;
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
    if ($("voice-timer")) $("voice-timer").textContent = fmt(elapsed);
    var dot = $("live-dot");
    if (dot) dot.className = "size-2 rounded-full " + (clock.running ? "bg-online" : "bg-busy");
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
    var log = $("chat-log");
    log.appendChild(li);
    log.scrollTop = log.scrollHeight;
    if (msg.role !== cfg.role && !chatVisible()) {
      unread += 1;
      var badge = $("chat-unread");
      if (badge) { badge.textContent = String(unread); badge.classList.remove("hidden"); }
      var toggleButton = $("toggle-chat");
      if (toggleButton) toggleButton.setAttribute("aria-label", "Chat, " + unread + " unread");
    }
  }

  // --- the chat drawer (phones, call readings): opened from the controls, with an unread badge ---
  var unread = 0;
  var panel = $("chat-panel");
  var wide = window.matchMedia ? window.matchMedia("(min-width: 1024px)") : { matches: true };
  function chatVisible() {
    return !hasCall || wide.matches || (panel && panel.hasAttribute("data-open"));
  }
  function setChat(open) {
    if (!panel || !$("toggle-chat")) return;
    if (open) panel.setAttribute("data-open", ""); else panel.removeAttribute("data-open");
    $("toggle-chat").setAttribute("aria-expanded", open ? "true" : "false");
    if (open) {
      unread = 0;
      var badge = $("chat-unread");
      if (badge) { badge.textContent = ""; badge.classList.add("hidden"); }
      $("toggle-chat").removeAttribute("aria-label");
      $("chat-input").focus();
    } else {
      $("toggle-chat").focus();
    }
  }
  if ($("toggle-chat")) $("toggle-chat").addEventListener("click", function () { setChat(!panel.hasAttribute("data-open")); });
  if ($("close-chat")) $("close-chat").addEventListener("click", function () { setChat(false); });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && panel && panel.hasAttribute("data-open") && !wide.matches) setChat(false);
  });
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
        if (cfg.type === "voice") meter(stream, "level-local");
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

  // A toggle keeps its label ("Mute microphone") and says its state with aria-pressed.
  function toggle(kind, buttonId) {
    var button = $(buttonId);
    if (!button) return;
    button.addEventListener("click", function () {
      if (!localStream) { mediaError(describeMediaError({ name: "NotFoundError" })); return; }
      var tracks = localStream.getTracks().filter(function (t) { return t.kind === kind; });
      var off = button.getAttribute("aria-pressed") !== "true";
      tracks.forEach(function (t) { t.enabled = !off; });
      button.setAttribute("aria-pressed", off ? "true" : "false");
    });
  }
  toggle("audio", "toggle-mic");
  toggle("video", "toggle-cam");

  // --- voice calls: a live audio-level meter per person (Web Audio AnalyserNode) -------------
  var audioCtx = null;
  var meters = [];
  function meter(stream, nodeId) {
    var node = $(nodeId);
    var Ctx = window.AudioContext || window.webkitAudioContext;
    if (!node || !Ctx || !stream || !stream.getAudioTracks().length) return;
    try {
      audioCtx = audioCtx || new Ctx();
      var analyser = audioCtx.createAnalyser();
      analyser.fftSize = 256;
      audioCtx.createMediaStreamSource(stream).connect(analyser); // analysed only, never played here
      meters.push({ analyser: analyser, bars: node.querySelectorAll("span"), data: new Uint8Array(analyser.fftSize), remote: nodeId === "level-remote" });
      if (meters.length === 1) requestAnimationFrame(drawMeters);
    } catch (e) { /* no meter is fine */ }
  }
  function drawMeters() {
    meters.forEach(function (m) {
      m.analyser.getByteTimeDomainData(m.data);
      var sum = 0;
      for (var i = 0; i < m.data.length; i++) { var v = (m.data[i] - 128) / 128; sum += v * v; }
      var level = Math.min(1, Math.sqrt(sum / m.data.length) * 4);
      m.bars.forEach(function (bar, i) {
        var shape = [0.6, 0.85, 1, 0.85, 0.6][i] || 1;
        bar.style.transform = "scaleY(" + Math.max(0.12, level * shape).toFixed(2) + ")";
      });
      if (m.remote && level > 0.02) {
        var dot = $("voice-live-dot");
        if (dot) dot.className = "size-2.5 rounded-full bg-online";
        var text = $("voice-live-text");
        if (text && text.textContent.indexOf("Live") !== 0) text.textContent = "Live — you are connected by voice";
      }
    });
    requestAnimationFrame(drawMeters);
  }
  // Browsers start audio contexts suspended until the person interacts with the page.
  document.addEventListener("click", function () { if (audioCtx && audioCtx.state === "suspended") audioCtx.resume(); });

  // --- WebRTC: the client offers, the reader answers ------------------------------------
  function teardownCall() {
    if (pc) { pc.ontrack = null; pc.onicecandidate = null; pc.close(); pc = null; }
  }

  function newPeerConnection() {
    teardownCall();
    var call = callId;
    pc = new RTCPeerConnection({ iceServers: cfg.iceServers || [], iceTransportPolicy: cfg.iceTransportPolicy === "relay" ? "relay" : "all" });
    if (localStream) {
      localStream.getTracks().forEach(function (t) { pc.addTrack(t, localStream); });
    } else {
      pc.addTransceiver("audio", { direction: "recvonly" });
      if (cfg.type === "video") pc.addTransceiver("video", { direction: "recvonly" });
    }
    pc.onicecandidate = function (event) {
      if (!event.candidate) return;
      var data = event.candidate.toJSON();
      data.call = call;
      send({ type: "signal", kind: "ice", data: data });
    };
    pc.ontrack = function (event) {
      var remote = $("remote-media");
      var stream = event.streams && event.streams[0] ? event.streams[0] : new MediaStream([event.track]);
      if (remote.srcObject !== stream) {
        remote.srcObject = stream;
        if (cfg.type === "voice") meter(stream, "level-remote");
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
    $("end-form").parentNode.insertBefore(button, $("end-form"));
  }

  function startCall() {
    if (!hasCall || ended) return;
    callId += 1;
    var call = callId;
    teardownCall();
    pendingIce = [];
    mediaReady.then(function () {
      if (call !== callId) return; // a newer call started meanwhile
      var conn = newPeerConnection();
      callStatus("Connecting the call…");
      return conn.createOffer().then(function (offer) {
        return conn.setLocalDescription(offer);
      }).then(function () {
        if (call !== callId) return;
        send({ type: "signal", kind: "offer", data: { type: "offer", sdp: conn.localDescription.sdp, call: call } });
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
    var call = msg.data.call || 0;
    if (msg.kind === "offer" && cfg.role === "reader") {
      // Switch to the new call at once: its candidates, arriving while this one is set up, wait for it.
      callId = call;
      teardownCall();
      pendingIce = [];
      mediaReady.then(function () {
        if (call !== callId) return; // superseded by a newer offer
        var conn = newPeerConnection();
        callStatus("Connecting the call…");
        return conn.setRemoteDescription({ type: "offer", sdp: msg.data.sdp })
          .then(function () { flushIce(); return conn.createAnswer(); })
          .then(function (answer) { return conn.setLocalDescription(answer); })
          .then(function () {
            if (call !== callId) return;
            send({ type: "signal", kind: "answer", data: { type: "answer", sdp: conn.localDescription.sdp, call: call } });
          });
      }).catch(function (err) { callStatus("The call could not start: " + err); });
    } else if (call !== callId) {
      return; // an answer or candidate of a call that has been replaced
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

  var peerSeen = false;
  var handlers = {
    hello: function (msg) {
      if (msg.peer_present) peerSeen = true;
      if (msg.peer_present) { status("You are both here."); if (cfg.role === "client") startCall(); }
      else status("Waiting for " + cfg.peerName + " to join. Billing starts when you are both here.");
    },
    peer: function (msg) {
      if (msg.role === cfg.role) return; // my own other socket
      var back = ["joined", "back", "returned", "resumed", "reconnected"].indexOf(msg.event) !== -1;
      if (back) {
        status(cfg.peerName + (peerSeen ? " is back." : " joined."));
        peerSeen = true;
        alertBox("");
        if (cfg.role === "client") startCall();
      } else if (msg.gone === false) {
        return; // one of their sockets closed, another is still here
      } else {
        status(cfg.peerName + " lost connection — billing paused until they are back.");
        alertBox(cfg.peerName + " lost connection. Billing is paused; the reading ends if they do not come back within the grace period.");
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
