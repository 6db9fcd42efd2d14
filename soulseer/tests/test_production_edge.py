"""The production settings behind a real nginx: TLS, HTTP/2, compression, static and media served
by nginx with far-future caching, X-Accel-Redirect for private files, and WebSockets upgraded
through to daphne.

The test runs ``collectstatic`` with DEBUG off into a temp STATIC_ROOT, starts two daphne processes
with the production settings on the test database, and Debian's nginx with deploy/nginx/soulseer.conf
(rendered for temp paths and free ports) in front of them, all stopped by PID afterwards.
"""

import gzip
import http.client
import json
import os
import ssl
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import brotli
import pytest
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.test import override_settings
from django.utils import timezone
from websockets.sync.client import connect as ws_connect

from ops.models import ProcessHeartbeat
from readings.tests.e2e_support import database_url
from readings.tests.helpers import active_reading, fund
from soulseer.tests import edge_support as edge

pytestmark = pytest.mark.django_db(transaction=True)

HOST = "localhost"
SECRET = "p9!Kd2@Vx7#Lq4$Zm8%Rt1^Wn6&Yb3*Hc5(Gf0)Js-" * 2


def production_env(tmp: Path) -> dict:
    env = {
        "DJANGO_SETTINGS_MODULE": "soulseer.tests.edge_settings",
        "DEBUG": "false",
        "SECRET_KEY": SECRET,
        "ALLOWED_HOSTS": f"{HOST},127.0.0.1",
        "CSRF_TRUSTED_ORIGINS": f"https://{HOST}",
        "DATABASE_URL": database_url(),
        "STATIC_ROOT": str(tmp / "static"),
        "MEDIA_ROOT": str(tmp / "media"),
        "PRIVATE_MEDIA_ROOT": str(tmp / "private"),
        "LOG_LEVEL": "WARNING",
    }
    if settings.REDIS_URL:
        env["REDIS_URL"] = settings.REDIS_URL
    return env


def collectstatic(env: dict) -> None:
    clean = {k: v for k, v in os.environ.items() if k not in {"DJANGO_ALLOW_ASYNC_UNSAFE", "DEBUG"}}
    result = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=settings.BASE_DIR,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr


class Edge:
    """An HTTPS client for the nginx under test (TLS verified against the test's own certificate)."""

    def __init__(self, port: int, cert: Path):
        self.port, self.cert = port, str(cert)
        self.context = ssl.create_default_context(cafile=str(cert))
        self.context.set_alpn_protocols(["h2", "http/1.1"])

    def get(self, path: str, **headers) -> tuple[int, dict, bytes]:
        conn = http.client.HTTPSConnection(HOST, self.port, context=ssl.create_default_context(cafile=self.cert))
        try:
            conn.request("GET", path, headers={"Host": HOST, **headers})
            response = conn.getresponse()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
        finally:
            conn.close()

    def negotiated_protocol(self) -> str | None:
        import socket

        with (
            socket.create_connection(("127.0.0.1", self.port)) as raw,
            self.context.wrap_socket(raw, server_hostname=HOST) as tls,
        ):
            return tls.selected_alpn_protocol()


def decode(headers: dict, body: bytes) -> bytes:
    encoding = headers.get("content-encoding")
    if encoding == "br":
        return brotli.decompress(body)
    if encoding == "gzip":
        return gzip.decompress(body)
    return body


def session_cookie(user) -> str:
    """A logged-in session as the production processes see it (signed with their SECRET_KEY)."""
    with override_settings(SECRET_KEY=SECRET):
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
    return f"sessionid={session.session_key}"


@pytest.fixture
def edge_site(tmp_path, alice, bob):
    for folder in ("static", "media/readers", "private/docs", "prefix"):
        (tmp_path / folder).mkdir(parents=True)
    env = production_env(tmp_path)
    collectstatic(env)
    cert, key = edge.self_signed_cert(tmp_path)
    http_port, https_port = edge.free_port(), edge.free_port()
    with edge.daphne_processes(env, count=2) as urls:
        upstreams = [int(url.rsplit(":", 1)[1]) for url in urls]
        site = edge.render_site(
            static_root=tmp_path / "static",
            media_root=tmp_path / "media",
            private_root=tmp_path / "private",
            cert=cert,
            key=key,
            http_port=http_port,
            https_port=https_port,
            upstreams=upstreams,
            snippets=tmp_path / "prefix" / "snippets",
        )
        conf = edge.write_config(tmp_path / "prefix", site, brotli=edge.brotli_available())
        with edge.running_nginx(tmp_path / "prefix", conf, [http_port, https_port]):
            client = Edge(https_port, cert)
            yield {"client": client, "tmp": tmp_path, "http_port": http_port, "cert": cert}


def test_production_behind_nginx(edge_site, alice, bob):
    client, tmp = edge_site["client"], edge_site["tmp"]

    # TLS with HTTP/2 offered; plain HTTP redirects to HTTPS.
    assert client.negotiated_protocol() == "h2"
    plain = http.client.HTTPConnection("127.0.0.1", edge_site["http_port"], timeout=10)
    plain.request("GET", "/readers/", headers={"Host": HOST})
    redirect = plain.getresponse()
    assert redirect.status == 301 and redirect.getheader("Location") == f"https://{HOST}/readers/"
    plain.close()

    # HTML from daphne, compressed by nginx (brotli where the module exists, gzip otherwise).
    status, headers, body = client.get("/", **{"Accept-Encoding": "gzip"})
    assert status == 200 and headers["content-encoding"] == "gzip"
    html = decode(headers, body).decode()
    assert "SoulSeer" in html
    assert "'nonce-" in headers["content-security-policy"] and "unsafe-inline" not in headers["content-security-policy"]
    assert f"wss://{HOST}" in headers["content-security-policy"]  # X-Forwarded-Proto: https reached Django
    assert headers["strict-transport-security"].startswith("max-age=")
    if edge.brotli_available():
        status, headers, body = client.get("/", **{"Accept-Encoding": "br, gzip"})
        assert headers["content-encoding"] == "br" and "SoulSeer" in decode(headers, body).decode()

    # Static files: hashed names from the manifest, served by nginx with far-future caching, and
    # their precompressed .br/.gz (written by whitenoise's storage with Brotli installed).
    manifest = json.loads((tmp / "static" / "staticfiles.json").read_text())["paths"]
    css = manifest["css/app.css"]
    assert f"/static/{css}" in html
    assert (tmp / "static" / (css + ".br")).exists() and (tmp / "static" / (css + ".gz")).exists()
    for accept, expected in (("br", "br"), ("gzip", "gzip"), ("identity", None)):
        if accept == "br" and not edge.brotli_available():
            continue
        status, headers, body = client.get(f"/static/{css}", **{"Accept-Encoding": accept})
        assert status == 200, (accept, status)
        assert headers.get("content-encoding") == expected
        assert "max-age=31536000" in headers["cache-control"] and "immutable" in headers["cache-control"]
        assert decode(headers, body) == (tmp / "static" / css).read_bytes()
    status, headers, _ = client.get(f"/static/{manifest['js/htmx.min.js']}", **{"Accept-Encoding": "gzip"})
    assert status == 200 and headers["content-encoding"] == "gzip"

    # Media: served by nginx (Django no longer serves it with DEBUG off), cached for long.
    photo = tmp / "media" / "readers" / "abc.webp"
    photo.write_bytes(b"RIFF\x00\x00\x00\x00WEBPVP8 fake")
    status, headers, body = client.get("/media/readers/abc.webp")
    assert status == 200 and body == photo.read_bytes()
    assert "max-age=2592000" in headers["cache-control"]
    assert headers["content-type"] == "image/webp"

    # Private files: /protected/ is internal; a view's X-Accel-Redirect makes nginx send the file.
    (tmp / "private" / "docs" / "reading.txt").write_text("for your eyes only")
    assert client.get("/protected/docs/reading.txt")[0] == 404
    status, headers, body = client.get("/_test/private/docs/reading.txt")
    assert status == 200 and body == b"for your eyes only"
    assert headers["cache-control"] == "private, no-store"
    assert "x-accel-redirect" not in headers
    assert client.get("/_test/private/../settings.py")[0] == 404

    # /health/ through the proxy: unhealthy until the sweeper and the worker have beaten.
    assert client.get("/health/?format=json")[0] == 500
    for name in ("bill_readings", "db_worker"):
        ProcessHeartbeat.objects.create(name=name, beat_at=timezone.now() - timedelta(seconds=1))
    status, _, body = client.get("/health/?format=json")
    assert status == 200, body

    # WebSockets: upgraded through nginx to daphne, over TLS; a ping in the reading room gets its pong.
    fund(alice, "50.00")
    reading = active_reading(alice, bob)
    context = ssl.create_default_context(cafile=str(edge_site["cert"]))
    with ws_connect(
        f"wss://{HOST}:{client.port}/ws/readings/{reading.pk}/",
        ssl=context,
        origin=f"https://{HOST}",
        additional_headers={"Cookie": session_cookie(alice)},
        proxy=None,
        open_timeout=20,
    ) as socket:
        socket.send(json.dumps({"type": "ping", "t": 42}))
        deadline = timezone.now() + timedelta(seconds=20)
        while True:
            message = json.loads(socket.recv(timeout=20))
            if message["type"] == "pong":
                break
            assert timezone.now() < deadline
        assert message == {"type": "pong", "t": 42}
    with ws_connect(
        f"wss://{HOST}:{client.port}/ws/notifications/",
        ssl=context,
        origin=f"https://{HOST}",
        additional_headers={"Cookie": session_cookie(bob)},
        proxy=None,
        open_timeout=20,
    ) as socket:
        assert socket.protocol.state.name == "OPEN"
