"""End-to-end support: a real daphne (ASGI, WebSockets) in a subprocess on the test database.

pytest-django's ``live_server`` is WSGI only, so the tests start ``daphne soulseer.asgi:application``
themselves, pointed at the same test database (a file for SQLite, see the "Readings" block in
settings.py; the ``test_…`` database for PostgreSQL) and, when ``REDIS_URL`` is set, the same Redis.
"""

import os
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from allauth.account.models import EmailAddress
from django.conf import settings
from django.db import connection

PASSWORD = "correct-horse-battery"  # the factories' password (conftest.PASSWORD)

BASE_DIR = Path(settings.BASE_DIR)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def database_url() -> str:
    """A DATABASE_URL for the test database the test process is using right now."""
    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        name = str(db["NAME"])
        if name == ":memory:" or "mode=memory" in name:
            raise RuntimeError("The end-to-end tests need a file SQLite test database (see settings.py).")
        return f"sqlite:///{name}"
    user = db.get("USER") or ""
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    return f"postgres://{auth}{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"


@contextmanager
def daphne(extra_env: dict | None = None, count: int = 1):
    """Start ``count`` daphne processes on free ports; yields their base URLs; kills them after."""
    env = {
        "DJANGO_SETTINGS_MODULE": "soulseer.settings",
        "DATABASE_URL": database_url(),
        "DEBUG": "true",
        "SOULSEER_BILLING_MINUTE_SECONDS": "4",
        "READINGS_HEARTBEAT_SECONDS": "0.5",
        "READINGS_STALE_CONNECTION_SECONDS": "3",
        "LOG_LEVEL": "WARNING",
        **(extra_env or {}),
    }
    with daphne_servers(env, count=count) as urls:
        yield urls


@contextmanager
def daphne_servers(env: dict, *, count: int = 1, timeout: float = 30.0, args: tuple[str, ...] = ()):
    """``count`` daphne processes on free ports with ``env`` over this process's environment (and
    extra daphne ``args``); yields their base URLs once each accepts connections, stops them by PID
    after. ``E2E_SHOW_SERVER_LOG=1`` prints their logs."""
    full = {**os.environ, "PYTHONUNBUFFERED": "1", **env}
    full.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    procs, urls, logs = [], [], []
    try:
        for _ in range(count):
            port = free_port()
            log = tempfile.NamedTemporaryFile(prefix="daphne-", suffix=".log", delete=False)  # noqa: SIM115
            logs.append(log)
            command = [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), *args]
            procs.append(
                subprocess.Popen(
                    [*command, "soulseer.asgi:application"],
                    cwd=BASE_DIR,
                    env=full,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            )
            urls.append(f"http://127.0.0.1:{port}")
        for proc, url, log in zip(procs, urls, logs, strict=True):
            _wait_for(proc, url, log.name, timeout=timeout)
        yield urls
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        for log in logs:
            log.close()
            if os.environ.get("E2E_SHOW_SERVER_LOG"):
                sys.stderr.write(Path(log.name).read_text())
            os.unlink(log.name)


def _wait_for(proc, url: str, log_name: str, timeout: float = 30.0) -> None:
    host, port = url.rsplit("//", 1)[1].split(":")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"daphne exited early:\n{Path(log_name).read_text()}")
        try:
            with socket.create_connection((host, int(port)), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"daphne did not start within {timeout} s:\n{Path(log_name).read_text()}")


def verified(user):
    EmailAddress.objects.update_or_create(user=user, email=user.email, defaults={"verified": True, "primary": True})
    return user


def login(page, base_url: str, email: str) -> None:
    """Log in through the real allauth form."""
    page.goto(f"{base_url}/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", PASSWORD)
    page.press("input[name=password]", "Enter")
    page.wait_for_url(lambda url: "/accounts/login" not in url, timeout=15000)


def sign_up(page, base_url: str, email: str, password: str) -> None:
    """A new client signs up through the real form and follows the confirmation link from the email
    (the test process's outbox, so ``base_url`` is a live server of this process); ends on their dashboard."""
    import re

    from django.core import mail

    page.goto(f"{base_url}/accounts/signup/")
    page.fill("input[name=email]", email)
    page.fill("input[name=password1]", password)
    page.fill("input[name=password2]", password)
    page.check("input[name=accept_terms]")
    page.click("form button[type=submit]")
    page.wait_for_url(re.compile(r"/accounts/confirm-email/"))
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", mail.outbox[-1].body).group(0)
    page.goto(link.replace(re.match(r"https?://[^/]+", link).group(0), base_url))
    page.wait_for_url(re.compile(r"/dashboard/client/"))
