"""Fault-test support: real daphne processes, a real ``bill_readings`` and a Redis of our own.

Every process here is started by the test on a free port, killed only by its own PID, and
restarted on the same port (so the parties' sockets reconnect to "the same server", as a browser
would after a restart). The parties are WebSocket clients that behave like the room page: they
answer every beat, reconnect after a drop, and record what the server told them, with the time.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from importlib import import_module
from pathlib import Path

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

from readings.tests.e2e_support import BASE_DIR, database_url, free_port

MINUTE = 6.0  # a billing minute, in seconds
HEARTBEAT = 0.5
STALE = 3.0
GRACE = 10


def wait_until(predicate: Callable[[], object], timeout: float, what: str, poll: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(poll)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def wait_for_port(port: int, proc: subprocess.Popen, log: Path, timeout: float = 30.0) -> None:
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"process exited early:\n{log.read_text()[-3000:]}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.3):
            return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {port} after {timeout} s:\n{log.read_text()[-3000:]}")


class Process:
    """One subprocess we own: start, kill -9, stop gracefully, start again with the same command."""

    def __init__(self, name: str, argv: list[str], env: dict, port: int | None = None):
        self.name, self.argv, self.env, self.port = name, argv, env, port
        self.log = Path(tempfile.mkstemp(prefix=f"fault-{name}-", suffix=".log")[1])
        self.proc: subprocess.Popen | None = None

    def start(self) -> Process:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(self.argv, cwd=BASE_DIR, env=self.env, stdout=out, stderr=subprocess.STDOUT)
        if self.port is not None:
            wait_for_port(self.port, self.proc, self.log)
        return self

    def kill9(self) -> float:
        """SIGKILL: no cleanup code runs. Returns the moment it died."""
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)
        return time.time()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def redis_server(port: int) -> Process:
    """A Redis of a test's own on ``port`` (not started): nothing saved, nothing shared."""
    redis = shutil.which("redis-server")
    if redis is None:
        raise RuntimeError("redis-server is not installed (Debian package redis-server).")
    argv = [redis, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    return Process("redis", argv, dict(os.environ), port)


class Cluster:
    """Redis, daphne processes and the sweeper of one fault test, with short presence timings."""

    def __init__(self, daphnes: int = 2, sweeper: bool = True):
        self.redis_port = free_port()
        self.redis = redis_server(self.redis_port)
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "soulseer.settings",
            "DATABASE_URL": database_url(),
            "REDIS_URL": f"redis://127.0.0.1:{self.redis_port}/0",
            "CHANNELS_PREFIX": f"fault{self.redis_port}",
            "DEBUG": "true",
            "SOULSEER_BILLING_MINUTE_SECONDS": str(MINUTE),
            "READINGS_HEARTBEAT_SECONDS": str(HEARTBEAT),
            "READINGS_STALE_CONNECTION_SECONDS": str(STALE),
            "READINGS_RECONNECT_GRACE_SECONDS": str(GRACE),
            "LOG_LEVEL": os.environ.get("FAULT_LOG_LEVEL", "WARNING"),
            "PYTHONUNBUFFERED": "1",
        }
        self.env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        self.daphnes = []
        for i in range(daphnes):
            port = free_port()
            argv = [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "soulseer.asgi:application"]
            self.daphnes.append(Process(f"daphne{i}", argv, self.env, port))
        argv = [sys.executable, "manage.py", "bill_readings", "--interval", "0.5"]
        self.sweeper = Process("sweeper", argv, self.env) if sweeper else None

    def __enter__(self) -> Cluster:
        self.redis.start()
        for daphne in self.daphnes:
            daphne.start()
        if self.sweeper:
            self.sweeper.start()
        return self

    def __exit__(self, *exc) -> None:
        for proc in [*(self.daphnes), *([self.sweeper] if self.sweeper else []), self.redis]:
            proc.stop()
        if exc[0] is not None or os.environ.get("FAULT_SHOW_LOGS"):
            for proc in [*self.daphnes, *([self.sweeper] if self.sweeper else [])]:
                sys.stderr.write(f"--- {proc.name} ---\n{proc.output()[-4000:]}\n")

    def url(self, index: int, path: str) -> str:
        return f"ws://127.0.0.1:{self.daphnes[index].port}{path}"

    def origin(self, index: int) -> str:
        return f"http://127.0.0.1:{self.daphnes[index].port}"


def session_cookie(user) -> str:
    """A signed-in session for ``user``, as the login form would make."""
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.save()
    return f"{settings.SESSION_COOKIE_NAME}={store.session_key}"


class Party:
    """One person in a reading room, like the page: answers beats, reconnects, records messages."""

    def __init__(self, url: str, origin: str, cookie: str, name: str = ""):
        self.url, self.origin, self.cookie, self.name = url, origin, cookie, name
        self.events: list[tuple[float, dict]] = []
        self.opened: list[float] = []  # when each socket was accepted (the "hello")
        self.closed: list[tuple[float, int | None]] = []
        self.leaving = False
        self.ws = None
        self.task: asyncio.Task | None = None

    async def run(self) -> None:
        from websockets.asyncio.client import connect

        while not self.leaving:
            try:
                async with connect(
                    self.url,
                    additional_headers={"Origin": self.origin, "Cookie": self.cookie},
                    open_timeout=5,
                    ping_interval=None,
                ) as ws:
                    self.ws = ws
                    async for raw in ws:
                        message = json.loads(raw)
                        if message.get("type") == "beat":
                            await ws.send('{"type": "beat"}')
                            continue
                        now = time.time()
                        if message.get("type") == "hello":
                            self.opened.append(now)
                        self.events.append((now, message))
                        if message.get("type") == "ended":
                            self.leaving = True
                    self.closed.append((time.time(), ws.close_code))
            except Exception as exc:  # refused or dropped: try again, as the page does
                self.closed.append((time.time(), getattr(exc, "code", None)))
            self.ws = None
            if not self.leaving:
                await asyncio.sleep(0.2)

    async def leave(self) -> None:
        self.leaving = True
        if self.ws is not None:
            await self.ws.close()

    def first(self, kind: str, after: float = 0.0, **match) -> tuple[float, dict] | None:
        for when, message in self.events:
            if when >= after and message.get("type") == kind and all(message.get(k) == v for k, v in match.items()):
                return when, message
        return None


class Crowd:
    """An event loop in a thread running many parties, so the test body stays synchronous."""

    def __init__(self):
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="fault-parties", daemon=True)
        self.thread.start()
        self.parties: list[Party] = []

    def join(self, party: Party) -> Party:
        self.parties.append(party)
        party.task = asyncio.run_coroutine_threadsafe(party.run(), self.loop)
        return party

    def leave(self, party: Party) -> float:
        asyncio.run_coroutine_threadsafe(party.leave(), self.loop).result(timeout=10)
        return time.time()

    def close(self) -> None:
        for party in self.parties:
            with contextlib.suppress(Exception):
                self.leave(party)
        for party in self.parties:
            with contextlib.suppress(Exception):
                party.task.result(timeout=10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)

    def __enter__(self) -> Crowd:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def expected_minutes(billable_seconds: float) -> int:
    """Minute n is charged at its start: a reading with ``billable_seconds`` on its clock owes this many."""
    return int(billable_seconds // MINUTE) + 1


def mid_minute(billable_seconds: float, margin: float = 1.0) -> bool:
    """Far enough from a minute's start that heartbeat timing cannot decide the count."""
    phase = billable_seconds % MINUTE
    return margin <= phase <= MINUTE - margin
