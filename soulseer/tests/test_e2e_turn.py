"""A video reading forced through TURN: two browser contexts (Debian's Chromium, fake camera), a real
coturn started by the test with ``use-auth-secret``, credentials derived from TURN_SECRET by the
site (readings/ice.py), and WEBRTC_ICE_TRANSPORT_POLICY=relay so no other path is allowed.
"""

import re
import secrets

import pytest

from readings.tests.e2e_support import database_url, login, verified
from readings.tests.helpers import fund
from soulseer.tests import edge_support as edge

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TIMEOUT = 90_000  # a relayed call on a loaded 2-core machine; the wait ends as soon as video plays

# Test instrumentation (not the site's code): remember every RTCPeerConnection a page makes.
RECORD_PEER_CONNECTIONS = """
(() => {
  const Original = window.RTCPeerConnection;
  if (!Original) return;
  window.__peerConnections = [];
  window.RTCPeerConnection = function (config) {
    const pc = new Original(config);
    window.__peerConnections.push({ pc: pc, config: config || {} });
    return pc;
  };
  window.RTCPeerConnection.prototype = Original.prototype;
})();
"""

SELECTED_PAIR = """async () => {
  const entry = window.__peerConnections[window.__peerConnections.length - 1];
  const stats = await entry.pc.getStats();
  let pair = null;
  stats.forEach((s) => {
    if (s.type === 'transport' && s.selectedCandidatePairId) pair = stats.get(s.selectedCandidatePairId);
  });
  if (!pair) stats.forEach((s) => {
    if (s.type === 'candidate-pair' && s.nominated && s.state === 'succeeded') pair = s;
  });
  if (!pair) return null;
  const local = stats.get(pair.localCandidateId), remote = stats.get(pair.remoteCandidateId);
  return { policy: entry.config.iceTransportPolicy, servers: entry.config.iceServers,
           local: local.candidateType, remote: remote.candidateType, localAddress: local.address,
           bytesReceived: pair.bytesReceived };
}"""


def remote_video_playing(page) -> None:
    page.wait_for_function(
        """() => { const v = document.getElementById('remote-media');
                   return v && v.videoWidth > 0 && !v.paused && v.readyState >= 2 && v.currentTime > 0; }""",
        timeout=TIMEOUT,
    )


def selected_pair(page) -> dict:
    page.wait_for_function(f"({SELECTED_PAIR})().then(p => p !== null && p.bytesReceived > 0)", timeout=TIMEOUT)
    return page.evaluate(SELECTED_PAIR)


def test_a_video_reading_connects_through_turn_only(browser, alice, bob, tmp_path):
    verified(alice)
    verified(bob)
    fund(alice, "20.00")
    secret = secrets.token_urlsafe(32)
    with edge.running_coturn(tmp_path, secret) as (turn_port, turn_log):
        env = {
            "DJANGO_SETTINGS_MODULE": "soulseer.settings",
            "DATABASE_URL": database_url(),
            "DEBUG": "true",
            "LOG_LEVEL": "WARNING",
            "TURN_URLS": f"turn:127.0.0.1:{turn_port}?transport=udp",
            "TURN_SECRET": secret,
            "WEBRTC_ICE_TRANSPORT_POLICY": "relay",
            "SOULSEER_BILLING_MINUTE_SECONDS": "60",
        }
        with edge.daphne_processes(env, count=1) as (url,):
            contexts = [browser.new_context(), browser.new_context()]
            try:
                client, reader = (ctx.new_page() for ctx in contexts)
                for page in (client, reader):
                    page.set_default_timeout(TIMEOUT)
                    page.add_init_script(RECORD_PEER_CONNECTIONS)
                login(client, url, alice.email)
                login(reader, url, bob.email)
                reader.goto(f"{url}/readers/")
                reader.wait_for_function(
                    "() => window.soulseerNotifications && window.soulseerNotifications.readyState === 1"
                )
                client.goto(f"{url}/readers/bob-the-seer/")
                client.click("button[data-start=video]")
                client.wait_for_url(re.compile(r"/readings/\d+/$"))
                banner = reader.locator("[data-reading-request]")
                banner.wait_for()
                banner.locator("[data-accept]").click()
                reader.wait_for_url(re.compile(r"/readings/\d+/room/$"))
                client.wait_for_url(re.compile(r"/readings/\d+/room/$"))

                # The page passes the forced policy and the TURN server with derived credentials.
                config = client.evaluate("() => JSON.parse(document.getElementById('reading-config').textContent)")
                assert config["iceTransportPolicy"] == "relay"
                turn = next(s for s in config["iceServers"] if any("turn:" in u for u in s["urls"]))
                assert re.fullmatch(rf"\d+:{alice.pk}", turn["username"])

                remote_video_playing(client)
                remote_video_playing(reader)
                for page in (client, reader):
                    pair = selected_pair(page)
                    assert pair["policy"] == "relay", pair
                    assert pair["local"] == "relay", pair  # our side of the call goes through coturn
                    assert pair["localAddress"] == "127.0.0.1", pair
                    assert pair["bytesReceived"] > 0, pair
            finally:
                for ctx in contexts:
                    ctx.close()
        log = turn_log.read_text(errors="replace")
    # coturn accepted the site's time-limited credentials for both people and relayed the call.
    for user in (alice, bob):
        assert re.search(rf"user <\d+:{user.pk}>", log), log[-3000:]
    assert "ALLOCATE processed, success" in log, log[-3000:]
