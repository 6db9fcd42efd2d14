// The /live/ page: a socket on ws/live/ says when the list changed (a stream started, ended, or its
// viewer count moved); the grid is fetched again as an HTML fragment. Polls slowly if the socket is down.
(function () {
  "use strict";
  var box = document.getElementById("live-streams");
  if (!box) return;
  var url = box.getAttribute("data-fragment-url");
  var busy = false, again = false;

  function refresh() {
    if (busy) { again = true; return; }
    busy = true;
    fetch(url, { headers: { "HX-Request": "true" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) { if (html !== null) box.innerHTML = html; })
      .catch(function () {})
      .then(function () { busy = false; if (again) { again = false; refresh(); } });
  }

  var retry = 1000, poller = null;
  function connect() {
    var proto = location.protocol === "https:" ? "wss://" : "ws://";
    var ws = new WebSocket(proto + location.host + "/ws/live/");
    window.soulseerLobby = ws;
    ws.onopen = function () { retry = 1000; if (poller) { clearInterval(poller); poller = null; } };
    ws.onmessage = function (event) {
      var data = JSON.parse(event.data);
      if (data.type === "changed") refresh();
    };
    ws.onclose = function () {
      if (!poller) poller = setInterval(refresh, 15000);
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 30000);
    };
  }
  if (window.WebSocket) connect(); else setInterval(refresh, 15000);
})();
