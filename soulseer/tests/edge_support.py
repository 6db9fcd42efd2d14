"""Production-edge test support: render deploy/nginx/soulseer.conf for a temp prefix, a
self-signed certificate, and a real nginx (Debian's) started on free ports and stopped by PID."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings

DEPLOY = Path(settings.BASE_DIR) / "deploy"
SITE_CONF = DEPLOY / "nginx" / "soulseer.conf"
BROTLI_CONF = DEPLOY / "nginx" / "soulseer-brotli.conf"
MODULES = Path("/usr/lib/nginx/modules")
BROTLI_MODULES = ["ngx_http_brotli_filter_module.so", "ngx_http_brotli_static_module.so"]


def nginx_path() -> str:
    path = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
    if not path:
        # Never skip: scripts/test.sh and .ci/run install Debian's nginx.
        raise RuntimeError("nginx is not installed: run scripts/test.sh (it installs Debian's nginx).")
    return path


def brotli_available() -> bool:
    return all((MODULES / name).exists() for name in BROTLI_MODULES)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def self_signed_cert(folder: Path, host: str = "localhost") -> tuple[Path, Path]:
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", f"/CN={host}",
         "-addext", f"subjectAltName=DNS:{host},IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return cert, key


def render_site(
    *,
    static_root: Path,
    media_root: Path,
    private_root: Path,
    cert: Path,
    key: Path,
    http_port: int,
    https_port: int,
    upstreams: list[int],
    server_name: str = "localhost",
    snippets: Path,
) -> str:
    """deploy/nginx/soulseer.conf with the documented defaults replaced by this test's values.

    Every default must still be in the file (the assert), so the committed file is what is tested.
    """
    text = SITE_CONF.read_text()
    servers = "".join(f"    server 127.0.0.1:{p} max_fails=3 fail_timeout=10s;\n" for p in upstreams)
    default_servers = "".join(f"    server 127.0.0.1:{p} max_fails=3 fail_timeout=10s;\n" for p in range(8001, 8005))
    replacements = [
        (default_servers, servers),
        ("/etc/letsencrypt/live/soulseer.example.com/fullchain.pem", str(cert)),
        ("/etc/letsencrypt/live/soulseer.example.com/privkey.pem", str(key)),
        ("/srv/soulseer/app/staticfiles/", f"{static_root}/"),
        ("/srv/soulseer/media/", f"{media_root}/"),
        ("/srv/soulseer/private/", f"{private_root}/"),
        ("/etc/nginx/snippets/soulseer-brotli*.conf", f"{snippets}/soulseer-brotli*.conf"),
        ("/var/www/letsencrypt", str(snippets)),
        ("listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;"),
        ("listen [::]:443 ssl http2;", ""),
        ("listen 80;", f"listen 127.0.0.1:{http_port};"),
        ("listen [::]:80;", ""),
        ("server_name soulseer.example.com;", f"server_name {server_name};"),
        ("shared:soulseer_tls:10m", "shared:soulseer_tls_test:1m"),
    ]
    for old, new in replacements:
        assert old in text, f"deploy/nginx/soulseer.conf no longer contains {old!r}"
        text = text.replace(old, new)
    return text


def write_config(prefix: Path, site: str, *, brotli: bool) -> Path:
    """A main nginx.conf for a private prefix: Debian's mime types, temp paths and logs under it."""
    for sub in ("logs", "tmp", "snippets"):
        (prefix / sub).mkdir(parents=True, exist_ok=True)
    (prefix / "site.conf").write_text(site)
    modules = ""
    if brotli:
        modules = "".join(f"load_module {MODULES / name};\n" for name in BROTLI_MODULES)
        shutil.copy(BROTLI_CONF, prefix / "snippets" / "soulseer-brotli.conf")
    user = "user root root;\n" if os.geteuid() == 0 else ""
    conf = prefix / "nginx.conf"
    conf.write_text(
        f"""{modules}{user}worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/logs/error.log warn;
events {{ worker_connections 256; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    sendfile on;
    access_log {prefix}/logs/access.log;
    client_body_temp_path {prefix}/tmp/body;
    proxy_temp_path {prefix}/tmp/proxy;
    fastcgi_temp_path {prefix}/tmp/fastcgi;
    uwsgi_temp_path {prefix}/tmp/uwsgi;
    scgi_temp_path {prefix}/tmp/scgi;
    include {prefix}/site.conf;
}}
"""
    )
    return conf


def nginx_test(prefix: Path, conf: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [nginx_path(), "-t", "-p", str(prefix), "-c", str(conf)], capture_output=True, text=True, timeout=60
    )


@contextmanager
def running_nginx(prefix: Path, conf: Path, ports: list[int], timeout: float = 20.0):
    """Start nginx in the foreground on its own prefix; stop it (by PID) afterwards."""
    proc = subprocess.Popen(
        [nginx_path(), "-p", str(prefix), "-c", str(conf), "-g", "daemon off;"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + timeout
        pending = list(ports)
        while pending:
            if proc.poll() is not None:
                raise RuntimeError(f"nginx exited: {proc.stderr.read().decode()}")
            if time.monotonic() > deadline:
                raise RuntimeError("nginx did not start listening")
            try:
                with socket.create_connection(("127.0.0.1", pending[0]), timeout=0.5):
                    pending.pop(0)
            except OSError:
                time.sleep(0.1)
        yield proc
    finally:
        proc.terminate()  # SIGTERM to the master: it stops its workers
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


# --- coturn ------------------------------------------------------------------------------------------


def turnserver_path() -> str:
    path = shutil.which("turnserver") or ("/usr/bin/turnserver" if os.path.exists("/usr/bin/turnserver") else None)
    if not path:
        raise RuntimeError("coturn is not installed: run scripts/test.sh (it installs Debian's coturn).")
    return path


def coturn_config(folder: Path, *, port: int, secret: str, min_port: int, max_port: int) -> Path:
    """deploy/coturn/turnserver.conf's TURN settings for loopback: use-auth-secret with ``secret``."""
    committed = (DEPLOY / "coturn" / "turnserver.conf").read_text()
    lines = [line.strip() for line in committed.splitlines() if not line.lstrip().startswith("#")]
    assert "use-auth-secret" in lines  # the committed config uses the shared secret...
    assert not any(line.startswith("static-auth-secret") for line in lines)  # ...and never holds it
    conf = folder / "turnserver.conf"
    conf.write_text(
        "\n".join(
            [
                "listening-ip=127.0.0.1",
                "relay-ip=127.0.0.1",
                f"listening-port={port}",
                f"min-port={min_port}",
                f"max-port={max_port}",
                "use-auth-secret",
                f"static-auth-secret={secret}",
                "realm=soulseer.test",
                "fingerprint",
                "no-tls",
                "no-dtls",
                "no-cli",
                "no-multicast-peers",
                "allow-loopback-peers",  # the test's peers are this machine (never in production)
                "log-file=stdout",
                "simple-log",
                "verbose",
                f"pidfile={folder / 'turnserver.pid'}",
                f"userdb={folder / 'turndb'}",
                "",
            ]
        )
    )
    conf.chmod(0o600)
    return conf


@contextmanager
def running_coturn(folder: Path, secret: str, timeout: float = 20.0):
    """Start coturn on a free UDP/TCP port of 127.0.0.1; yields (port, log path); stopped by PID."""
    port = free_port()
    relay = free_port()
    low = min(max(relay, 20000), 65000)
    conf = coturn_config(folder, port=port, secret=secret, min_port=low, max_port=low + 200)
    log = folder / "turnserver.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([turnserver_path(), "-c", str(conf)], stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"coturn exited:\n{log.read_text(errors='replace')}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):  # its TCP listener
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"coturn did not start:\n{log.read_text(errors='replace')}") from None
                time.sleep(0.1)
        yield port, log
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


# --- daphne with given settings, patient --------------------------------------------------------------


@contextmanager
def daphne_processes(env: dict, count: int = 2, timeout: float = 180.0):
    """Daphne behind a proxy (``--proxy-headers``) with the given settings environment as is, and a
    start-up deadline fit for a loaded machine (Django's start takes seconds when the CPUs are busy)."""
    from readings.tests.e2e_support import daphne_servers

    with daphne_servers(env, count=count, timeout=timeout, args=("--proxy-headers",)) as urls:
        yield urls
