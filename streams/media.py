"""Is live video available? A quick synchronous ping of the configured Janus servers (for views)."""

from __future__ import annotations

import json
import logging
import secrets
import time

from django.conf import settings
from websockets.exceptions import WebSocketException
from websockets.sync.client import connect

log = logging.getLogger(__name__)

_cache: dict[str, tuple[float, bool]] = {}
CACHE_SECONDS = 10.0


def ping(url: str, timeout: float = 2.0) -> bool:
    """True when Janus at ``url`` answers an ``info`` request (with our API secret)."""
    try:
        with connect(url, subprotocols=["janus-protocol"], open_timeout=timeout, close_timeout=1) as ws:
            transaction = secrets.token_hex(6)
            body = {"janus": "info", "transaction": transaction}
            if settings.JANUS_API_SECRET:
                body["apisecret"] = settings.JANUS_API_SECRET
            ws.send(json.dumps(body))
            reply = json.loads(ws.recv(timeout=timeout))
            return reply.get("janus") == "server_info"
    except (OSError, TimeoutError, ValueError, WebSocketException) as exc:
        log.info("Janus at %s did not answer: %s", url, exc)
        return False


def reachable_urls(*, fresh: bool = False) -> list[str]:
    """The configured Janus servers that answer now (each result cached for a few seconds)."""
    now = time.monotonic()
    urls = []
    for url in settings.JANUS_URLS:
        cached = _cache.get(url)
        if fresh or cached is None or now - cached[0] > CACHE_SECONDS:
            cached = _cache[url] = (now, ping(url))
        if cached[1]:
            urls.append(url)
    return urls


def video_available() -> bool:
    return bool(reachable_urls())
