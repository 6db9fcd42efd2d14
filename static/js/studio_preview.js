// The reader's studio: camera + microphone preview, device choice (remembered), clear messages when
// the browser refuses. Exposes window.soulseerPreview for stream_room.js (the publisher side).
(function () {
  "use strict";
  var video = document.getElementById("preview");
  if (!video) return;
  var status = document.getElementById("preview-status");
  var errorBox = document.getElementById("media-error");
  var camSelect = document.getElementById("camera-select");
  var micSelect = document.getElementById("mic-select");
  var micButton = document.getElementById("toggle-mic");
  var camButton = document.getElementById("toggle-cam");
  var KEYS = { video: "soulseer.camera", audio: "soulseer.microphone" };
  var current = null;
  var listeners = [];
  var resolveReady;
  var ready = new Promise(function (resolve) { resolveReady = resolve; });

  function saved(kind) { try { return localStorage.getItem(KEYS[kind]) || ""; } catch (e) { return ""; } }
  function save(kind, value) { try { localStorage.setItem(KEYS[kind], value); } catch (e) { /* private mode */ } }

  function showError(text) {
    errorBox.textContent = text;
    errorBox.classList.toggle("hidden", !text);
    if (text) { status.textContent = "Camera unavailable"; status.classList.remove("hidden"); }
  }

  function explain(err) {
    var name = err && err.name;
    if (name === "NotAllowedError" || name === "SecurityError" || name === "PermissionDeniedError") {
      return "SoulSeer is not allowed to use your camera and microphone. Allow them for this site (the camera icon in your browser's address bar, or its site settings), then reload this page.";
    }
    if (name === "NotFoundError" || name === "OverconstrainedError" || name === "DevicesNotFoundError") {
      return "No camera or microphone was found. Connect one (or choose another below), then try again.";
    }
    if (name === "NotReadableError" || name === "TrackStartError") {
      return "Your camera or microphone is busy in another app or tab. Close it, then reload this page.";
    }
    return "Your camera could not start (" + (name || "unknown error") + ").";
  }

  function fill(select, devices, kind, label) {
    var chosen = (current && current.getTracks().filter(function (t) { return t.kind === kind; })[0]) || null;
    var chosenId = chosen && chosen.getSettings ? chosen.getSettings().deviceId : saved(kind);
    select.textContent = "";
    devices.forEach(function (d, i) {
      var option = document.createElement("option");
      option.value = d.deviceId;
      option.textContent = d.label || label + " " + (i + 1);
      if (d.deviceId === chosenId) option.selected = true;
      select.appendChild(option);
    });
    select.disabled = devices.length === 0;
  }

  function listDevices() {
    if (!navigator.mediaDevices || !navigator.mediaDevices.enumerateDevices) return Promise.resolve();
    return navigator.mediaDevices.enumerateDevices().then(function (all) {
      fill(camSelect, all.filter(function (d) { return d.kind === "videoinput"; }), "video", "Camera");
      fill(micSelect, all.filter(function (d) { return d.kind === "audioinput"; }), "audio", "Microphone");
    });
  }

  function start() {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      showError("This browser cannot use a camera on this page. Use a recent Chrome, Firefox or Safari over a secure (https) connection.");
      resolveReady(null);
      return Promise.resolve(null);
    }
    var cam = saved("video"), mic = saved("audio");
    var constraints = {
      video: cam ? { deviceId: { exact: cam }, width: { ideal: 1280 }, height: { ideal: 720 } } : { width: { ideal: 1280 }, height: { ideal: 720 } },
      audio: mic ? { deviceId: { exact: mic } } : true
    };
    status.textContent = "Starting your camera…";
    status.classList.remove("hidden");
    return navigator.mediaDevices.getUserMedia(constraints).catch(function (err) {
      if (err && err.name === "OverconstrainedError" && (cam || mic)) {  // a remembered device is gone
        save("video", ""); save("audio", "");
        return navigator.mediaDevices.getUserMedia({ video: true, audio: true });
      }
      throw err;
    }).then(function (stream) {
      var old = current;
      current = stream;
      video.srcObject = stream;
      showError("");
      status.classList.add("hidden");
      applyToggles();
      if (old && old !== stream) old.getTracks().forEach(function (t) { t.stop(); });
      listeners.forEach(function (fn) { try { fn(stream); } catch (e) { /* ignore */ } });
      resolveReady(stream);
      return listDevices().then(function () { return stream; });
    }).catch(function (err) {
      showError(explain(err));
      resolveReady(null);
      listDevices();
      return null;
    });
  }

  function applyToggles() {
    if (!current) return;
    var micOff = micButton.getAttribute("aria-pressed") === "true";
    var camOff = camButton.getAttribute("aria-pressed") === "true";
    current.getAudioTracks().forEach(function (t) { t.enabled = !micOff; });
    current.getVideoTracks().forEach(function (t) { t.enabled = !camOff; });
  }

  function toggle(button, onText, offText) {
    var pressed = button.getAttribute("aria-pressed") !== "true";
    button.setAttribute("aria-pressed", pressed ? "true" : "false");
    button.textContent = pressed ? offText : onText;
    applyToggles();
  }

  camSelect.addEventListener("change", function () { save("video", camSelect.value); start(); });
  micSelect.addEventListener("change", function () { save("audio", micSelect.value); start(); });
  micButton.addEventListener("click", function () { toggle(micButton, "Mute microphone", "Unmute microphone"); });
  camButton.addEventListener("click", function () { toggle(camButton, "Turn camera off", "Turn camera on"); });

  window.soulseerPreview = {
    ready: ready,
    current: function () { return current; },
    onChange: function (fn) { listeners.push(fn); }
  };
  start();
})();
