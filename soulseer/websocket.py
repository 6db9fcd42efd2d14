"""WebSocket edge: the same-origin check and the refusal of unknown paths.

Channels' ``AllowedHostsOriginValidator`` compares only the Origin's host with ``ALLOWED_HOSTS``,
so a page on ``http://localhost:9999`` could open a socket to the site on port 8000 with the
visitor's cookies. Here an Origin must match the socket's own scheme, host and port (the host
one of ``ALLOWED_HOSTS``), or be listed in ``CSRF_TRUSTED_ORIGINS``.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from channels.generic.websocket import AsyncWebsocketConsumer
from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.http.request import split_domain_port, validate_host

DEFAULT_PORTS = {"http": 80, "https": 443}


def _origin(scheme: str, host: str, port: int | None) -> tuple[str, str, int] | None:
    if scheme not in DEFAULT_PORTS or not host:
        return None
    return scheme, host.lower().strip("[]"), port or DEFAULT_PORTS[scheme]


def parse_origin(value: str) -> tuple[str, str, int] | None:
    try:
        parts = urlsplit(value)
        return _origin(parts.scheme, parts.hostname or "", parts.port)
    except ValueError:
        return None


def _headers(scope) -> dict[bytes, bytes]:
    return {name.lower(): value for name, value in scope.get("headers", [])}


def own_origin(scope) -> tuple[str, str, int] | None:
    """The origin of the page that may open this socket: the socket's own scheme, host and port."""
    headers = _headers(scope)
    host = headers.get(b"host", b"").decode("latin1")
    domain, port = split_domain_port(host)
    if not domain or not validate_host(domain, settings.ALLOWED_HOSTS):
        return None
    scheme = "https" if scope.get("scheme") in ("wss", "https") else "http"
    proxy = getattr(settings, "SECURE_PROXY_SSL_HEADER", None)
    if proxy:  # TLS ended at the proxy, which says so in a header it controls
        header = proxy[0].removeprefix("HTTP_").replace("_", "-").lower().encode()
        if headers.get(header, b"").decode("latin1") == proxy[1]:
            scheme = "https"
    return _origin(scheme, domain, int(port) if port.isdigit() else None)


class SameOriginValidator:
    def __init__(self, application):
        self.application = application

    async def __call__(self, scope, receive, send):
        origin = _headers(scope).get(b"origin")
        parsed = parse_origin(origin.decode("latin1")) if origin else None
        trusted = {parse_origin(value) for value in settings.CSRF_TRUSTED_ORIGINS}
        if parsed is not None and (parsed == own_origin(scope) or parsed in trusted):
            return await self.application(scope, receive, send)
        return await WebsocketDenier()(scope, receive, send)


class RefusedRoute(AsyncWebsocketConsumer):
    """Any WebSocket path no consumer serves (``ws/readings/-1/``...): refused at the handshake
    (HTTP 403), never the router's "No route found" 500. Routed last in ``soulseer.routing``."""

    channel_layer_alias = "refused-routes-use-no-channel-layer"  # no layer: nothing to listen to or clean up

    async def connect(self):
        await self.close(code=4404)
