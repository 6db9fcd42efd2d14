// A live stream page over ws/streams/<id>/: the viewer's page (watch) and the reader's studio (publish).
// Video goes through the server's Janus: this page only ever exchanges SDP/ICE with its own Janus handle,
// relayed by the server. Chat, viewer count and gifts come from the server (the numbers are the
// server's, never computed here). Everything user-written goes in with textContent.
(function () {
  "use strict";
  var cfgNode = document.getElementById("stream-config");
  if (!cfgNode || !window.WebSocket) return;
  var cfg = JSON.parse(cfgNode.textContent);
  var publisher = cfg.role === "publisher";
  var $ = function (id) { return document.getElementById(id); };
  var videoEl = $("stream-video");
  var statusEl = $("video-status");
  var chatLog = $("chat-log");
  var chatForm = $("chat-form");
  var chatInput = $("chat-input");
  var chatNotice = $("chat-notice");
  var giftReason = $("gift-reason");
  var ws = null, pc = null, remote = null, finished = false, retry = 1000, me = null, myRole = cfg.role;
  var balance = null, noticeTimer = null, republishTimer = null;

  function send(obj) { if (ws && ws.readyState === 1) { ws.send(JSON.stringify(obj)); return true; } return false; }
  function setStatus(text) {
    if (!statusEl) return;
    statusEl.textContent = text || "";
    statusEl.classList.toggle("hidden", !text);
  }
  function notice(text, ttl) {
    if (!chatNotice) return;
    chatNotice.textContent = text;
    chatNotice.classList.toggle("hidden", !text);
    clearTimeout(noticeTimer);
    if (text && ttl) noticeTimer = setTimeout(function () { notice(""); }, ttl);
  }
  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text != null) node.textContent = text;
    return node;
  }

  // --- WebRTC -----------------------------------------------------------------------------------
  function closePc() {
    if (pc) { try { pc.close(); } catch (e) { /* closed */ } }
    pc = null;
    remote = null;
  }

  function newPc() {
    closePc();
    pc = new RTCPeerConnection({ iceServers: cfg.iceServers || [] });
    var mine = pc;
    pc.onicecandidate = function (e) {
      if (mine !== pc) return;
      send({ type: "ice", candidate: e.candidate ? e.candidate.toJSON() : null });
    };
    pc.onconnectionstatechange = function () {
      if (mine !== pc || finished) return;
      if (pc.connectionState === "failed") {
        if (publisher) { setStatus("Your video connection dropped; reconnecting…"); schedulePublish(2000); }
        else { setStatus("The video connection dropped; reconnecting…"); setTimeout(watch, 2000); }
      } else if (pc.connectionState === "connected" && publisher) {
        setStatus("You are live: viewers see and hear you.");
      }
    };
    return pc;
  }

  function schedulePublish(delay) {
    clearTimeout(republishTimer);
    republishTimer = setTimeout(startPublishing, delay);
  }

  function startPublishing() {
    if (finished || !cfg.hasVideo) return;
    var preview = window.soulseerPreview;
    (preview ? preview.ready : Promise.resolve(null)).then(function (stream) {
      stream = preview && preview.current();
      if (!stream) {
        setStatus("Your camera is not available, so viewers cannot see you. Chat and gifts still work.");
        return;
      }
      var conn = newPc();
      stream.getTracks().forEach(function (track) {
        conn.addTransceiver(track, { direction: "sendonly", streams: [stream] });
      });
      setStatus("Connecting your video to the stream…");
      return conn.createOffer().then(function (offer) {
        return conn.setLocalDescription(offer).then(function () { send({ type: "publish", sdp: offer.sdp }); });
      });
    }).catch(function (err) { setStatus("Your video could not start: " + (err && err.message ? err.message : err)); });
  }

  if (publisher && window.soulseerPreview) {
    window.soulseerPreview.onChange(function (stream) {  // another camera or microphone chosen while live
      if (!pc) return;
      pc.getSenders().forEach(function (sender) {
        if (!sender.track) return;
        var track = stream.getTracks().filter(function (t) { return t.kind === sender.track.kind; })[0];
        if (track) sender.replaceTrack(track);
      });
    });
  }

  function watch() {
    if (finished || publisher || !cfg.hasVideo) return;
    closePc();
    setStatus("Connecting to the live video…");
    send({ type: "watch" });
  }

  function onOffer(sdp) {
    var conn = newPc();
    conn.ontrack = function (e) {
      if (conn !== pc) return;
      remote = remote || new MediaStream();
      remote.addTrack(e.track);
      videoEl.srcObject = remote;
      var play = videoEl.play();
      if (play && play.catch) play.catch(function () { /* autoplay muted normally works */ });
    };
    conn.setRemoteDescription({ type: "offer", sdp: sdp })
      .then(function () { return conn.createAnswer(); })
      .then(function (answer) {
        return conn.setLocalDescription(answer).then(function () { send({ type: "answer", sdp: answer.sdp }); });
      })
      .catch(function (err) { setStatus("The video could not start: " + (err && err.message ? err.message : err)); });
  }

  if (videoEl) {
    videoEl.addEventListener("playing", function () {
      setStatus("");
      var unmute = $("unmute");
      if (unmute && videoEl.muted) unmute.classList.remove("hidden");
    });
    var unmuteButton = $("unmute");
    if (unmuteButton) unmuteButton.addEventListener("click", function () {
      videoEl.muted = !videoEl.muted;
      unmuteButton.textContent = videoEl.muted ? "Unmute" : "Mute";
    });
  }

  // --- chat -------------------------------------------------------------------------------------
  var canModerate = function () { return myRole === "publisher" || myRole === "moderator"; };

  function modButtons(li) {
    if (!canModerate() || li.querySelector("[data-mod]")) return;
    var senderId = parseInt(li.getAttribute("data-sender-id"), 10);
    var box = el("span", "ml-2 hidden gap-1 group-hover:inline-flex group-focus-within:inline-flex");
    box.classList.add("mod-actions");
    [["delete", "Delete"], ["mute", "Mute"], ["ban", "Ban"]].forEach(function (pair) {
      if (pair[0] !== "delete" && (li.getAttribute("data-role") !== "viewer" || senderId === me)) return;
      var b = el("button", "rounded px-1.5 text-xs text-mist underline hover:text-pink", pair[1]);
      b.type = "button";
      b.setAttribute("data-mod", pair[0]);
      b.setAttribute("aria-label", pair[1] + " — " + (li.querySelector(".chat-name") || {}).textContent);
      box.appendChild(b);
    });
    li.appendChild(box);
  }

  function addChat(m) {
    if (!chatLog) return;
    var li = el("li", "chat-line group");
    li.setAttribute("data-id", m.id);
    li.setAttribute("data-sender-id", m.sender_id);
    li.setAttribute("data-role", m.role);
    li.appendChild(el("span", "chat-name font-semibold " + (m.role === "reader" ? "text-gold" : "text-pink"), m.sender));
    var colon = el("span", "", ": ");
    colon.setAttribute("aria-hidden", "true");
    li.appendChild(colon);
    li.appendChild(el("span", "chat-text break-words", m.text));
    modButtons(li);
    var atBottom = chatLog.scrollHeight - chatLog.scrollTop - chatLog.clientHeight < 40;
    chatLog.appendChild(li);
    while (chatLog.children.length > 200) chatLog.removeChild(chatLog.firstChild);
    if (atBottom) chatLog.scrollTop = chatLog.scrollHeight;
  }

  if (chatLog) {
    chatLog.addEventListener("click", function (event) {
      var button = event.target.closest("[data-mod]");
      if (!button) return;
      var li = button.closest("li");
      var action = button.getAttribute("data-mod");
      if (action === "delete") send({ type: "delete", id: parseInt(li.getAttribute("data-id"), 10) });
      else send({ type: "restrict", kind: action, user_id: parseInt(li.getAttribute("data-sender-id"), 10) });
    });
    chatLog.scrollTop = chatLog.scrollHeight;
  }

  if (chatForm) {
    chatForm.addEventListener("submit", function (event) {
      event.preventDefault();
      var text = chatInput.value;
      if (!text.trim()) return;
      if (send({ type: "chat", text: text })) chatInput.value = "";
      else notice("Not connected; your message was not sent.", 4000);
    });
  }

  function setChatAllowed(allowed, reason) {
    if (chatInput) chatInput.disabled = !allowed;
    var button = $("chat-send");
    if (button) button.disabled = !allowed;
    if (!allowed && reason) notice(reason);
  }

  // --- gifts ------------------------------------------------------------------------------------
  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  function giftButtons() { return Array.prototype.slice.call(document.querySelectorAll(".gift-button")); }

  function updateGiftBar() {
    if (balance === null || !giftReason) return;
    var cents = Math.round(parseFloat(balance) * 100);
    var short = false;
    giftButtons().forEach(function (b) {
      var price = Math.round(parseFloat(b.getAttribute("data-price")) * 100);
      var tooDear = price > cents;
      short = short || tooDear;
      b.disabled = finished || tooDear;
      b.title = tooDear ? "Your balance is too low for this gift" : "";
    });
    var shown = $("gift-balance");
    if (shown) shown.textContent = "$" + balance;
    giftReason.textContent = "";
    if (finished) { giftReason.textContent = "Gifts can only be sent while the stream is live."; return; }
    if (short) {
      giftReason.appendChild(document.createTextNode("Some gifts cost more than your balance ($" + balance + "). "));
      var link = el("a", "link", "Top up your wallet");
      link.href = cfg.topupUrl;
      giftReason.appendChild(link);
    } else {
      giftReason.textContent = "70 % of every gift goes to the reader.";
    }
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest(".gift-button");
    if (!button || button.disabled) return;
    var key = uuid();  // one id per click: a retry of this click can never charge twice
    if (!send({ type: "gift", gift: button.getAttribute("data-gift"), key: key })) {
      giftReason.textContent = "Not connected; the gift was not sent.";
    }
  });

  function showGift(g) {
    var stage = $("gift-stage");
    if (!stage) return;
    var card = el("div", "gift-pop gift-anim-" + (g.animation || "float"));
    card.setAttribute("data-gift-shown", g.slug);
    var img = el("img", "gift-pop-image");
    img.src = g.image;
    img.alt = "";
    card.appendChild(img);
    card.appendChild(el("p", "gift-pop-text", g.sender + " sent a " + g.name + "!"));
    stage.appendChild(card);
    setTimeout(function () { card.remove(); }, 4500);
  }

  function setTop(rows) {
    var list = $("top-gifters");
    if (!list) return;
    list.textContent = "";
    if (!rows.length) { list.appendChild(el("li", "text-mist-dim", "No gifts yet. Be the first!")); return; }
    rows.forEach(function (r) {
      var li = el("li", "flex justify-between gap-2");
      li.appendChild(el("span", "truncate", r.name));
      li.appendChild(el("span", "font-semibold text-gold", "$" + r.total));
      list.appendChild(li);
    });
  }

  function setTotals(total, count) {
    if ($("gift-total")) $("gift-total").textContent = "$" + total;
    if ($("gift-count")) $("gift-count").textContent = count;
  }

  // --- the socket -------------------------------------------------------------------------------
  function ended(m) {
    finished = true;
    clearTimeout(republishTimer);
    closePc();
    setStatus("");
    var box = $("stream-ended");
    if (box) {
      if (m.message) $("stream-ended-text").textContent = m.message;
      if (m.summary_url) $("stream-summary-link").href = m.summary_url;
      box.classList.remove("hidden");
    }
    var flag = $("live-flag");
    if (flag) { flag.textContent = "Ended"; flag.classList.remove("bg-pink"); flag.classList.add("bg-offline"); }
    setChatAllowed(false);
    giftButtons().forEach(function (b) { b.disabled = true; });
    if (giftReason) giftReason.textContent = "Gifts can only be sent while the stream is live.";
    if (videoEl) videoEl.srcObject = null;
    var end = $("end-stream");
    if (end) end.disabled = true;
    document.body.setAttribute("data-stream-ended", "true");
  }

  function handle(m) {
    switch (m.type) {
      case "hello":
        me = m.user_id;
        myRole = m.role;
        if ($("viewer-count")) $("viewer-count").textContent = m.viewers;
        setTotals(m.gift_total, m.gift_count);
        setTop(m.top || []);
        if (m.balance !== null && m.balance !== undefined) { balance = m.balance; updateGiftBar(); }
        if (chatLog) Array.prototype.forEach.call(chatLog.children, modButtons);
        if (m.chat_reason && me) setChatAllowed(false, m.chat_reason);
        if (!m.video.available) setStatus(publisher ? "Live video is unavailable right now (no media server): you are live with chat and gifts." : "Live video is unavailable right now. Chat and gifts still work.");
        else if (publisher) startPublishing();
        else if (m.video.live) watch();
        else setStatus("Waiting for the reader’s video…");
        document.body.setAttribute("data-stream-ready", "true");
        break;
      case "viewers":
        if ($("viewer-count")) $("viewer-count").textContent = m.count;
        break;
      case "chat":
        addChat(m.message);
        break;
      case "chat_deleted":
        var line = chatLog && chatLog.querySelector('[data-id="' + parseInt(m.id, 10) + '"]');
        if (line) line.remove();
        break;
      case "gift":
        showGift(m.gift);
        setTotals(m.gift_total, m.gift_count);
        setTop(m.top || []);
        break;
      case "gift_sent":
        balance = m.balance;
        updateGiftBar();
        break;
      case "video":
        if (publisher) {
          if (m.state === "error") { closePc(); setStatus((m.message || "Live video is unavailable right now.") + " Retrying…"); schedulePublish(5000); }
          break;
        }
        if (m.state === "live") watch();
        else if (m.state === "off") { closePc(); if (videoEl) videoEl.srcObject = null; setStatus("The reader’s video paused. It will come back here by itself."); }
        else if (m.state === "lost") { closePc(); setStatus((m.message || "The video was interrupted.") + " Reconnecting…"); setTimeout(watch, 3000); }
        else if (m.state === "error") { closePc(); setStatus((m.message || "Live video is unavailable right now.") + " Retrying…"); setTimeout(watch, 5000); }
        break;
      case "offer":
        if (!publisher) onOffer(m.sdp);
        break;
      case "answer":
        if (publisher && pc) pc.setRemoteDescription({ type: "answer", sdp: m.sdp }).catch(function (err) {
          setStatus("Your video could not start: " + err.message);
        });
        break;
      case "ice":
        if (pc) pc.addIceCandidate(m.candidate || null).catch(function () { /* late or duplicate */ });
        break;
      case "media":
        if (publisher) setStatus(m.state === "up" ? "You are live: viewers see and hear you." : "Your video stopped reaching the stream; reconnecting…");
        if (publisher && m.state === "down" && !finished) schedulePublish(3000);
        break;
      case "muted":
        setChatAllowed(false, m.message);
        break;
      case "restricted":
        notice(m.name + (m.kind === "ban" ? " was banned from your streams." : " was muted in your streams."), 5000);
        break;
      case "restrict_done":
        break;
      case "ended":
        ended(m);
        break;
      case "error":
        if (m.code === "funds") {
          if (m.balance) { balance = m.balance; updateGiftBar(); }
          giftReason.textContent = m.message + " ";
          var link = el("a", "link", "Top up your wallet");
          link.href = m.topup_url || cfg.topupUrl;
          giftReason.appendChild(link);
        } else if (m.code === "banned") {
          finished = true;
          closePc();
          setStatus(m.message);
          setChatAllowed(false, m.message);
        } else {
          notice(m.message, 6000);
        }
        break;
    }
  }

  function connect() {
    var proto = location.protocol === "https:" ? "wss://" : "ws://";
    ws = new WebSocket(proto + location.host + cfg.ws);
    window.soulseerStream = ws;
    ws.onopen = function () { retry = 1000; };
    ws.onmessage = function (event) { handle(JSON.parse(event.data)); };
    ws.onclose = function (event) {
      closePc();
      if (finished || event.code === 4000 || event.code === 4403 || event.code === 4404) return;
      setStatus("Connection lost; reconnecting…");
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 15000);
    };
  }
  connect();
})();
