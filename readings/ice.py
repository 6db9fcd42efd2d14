"""ICE servers for the browsers, from settings. TURN credentials are short-lived, per user.

coturn's ``use-auth-secret``: username = "<expiry unix time>:<user id>",
credential = base64(HMAC-SHA1(TURN_SECRET, username)). No static password reaches a browser.
"""

import base64
import hashlib
import hmac
import time

from django.conf import settings

from readings import conf


def turn_credentials(user_id: int, now: float | None = None) -> tuple[str, str, int]:
    ttl = int(conf.get("TURN_CREDENTIAL_TTL_SECONDS"))
    expiry = int(now if now is not None else time.time()) + ttl
    username = f"{expiry}:{user_id}"
    digest = hmac.new(settings.TURN_SECRET.encode(), username.encode(), hashlib.sha1).digest()
    return username, base64.b64encode(digest).decode(), ttl


def ice_servers(user) -> list[dict]:
    """The ``iceServers`` list for ``RTCPeerConnection``; empty by default (fine on localhost)."""
    servers: list[dict] = []
    stun = list(getattr(settings, "STUN_URLS", []) or [])
    if stun:
        servers.append({"urls": stun})
    turn = list(getattr(settings, "TURN_URLS", []) or [])
    if turn and getattr(settings, "TURN_SECRET", ""):
        username, credential, _ttl = turn_credentials(user.pk)
        servers.append({"urls": turn, "username": username, "credential": credential})
    return servers
