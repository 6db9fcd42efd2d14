"""The README's first command and the production run, as processes: what they start and stop.

scripts/run.sh serves with daphne (no runserver, no auto-reloader) beside the billing sweeper and the
task worker; /health/ answering 200 proves all three run (it needs the heartbeats of both). Stopping
the script stops every process it started. scripts/run-production.sh never seeds demo data.
"""

import contextlib
import http.client
import os
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

from django.conf import settings

from soulseer.tests.edge_support import free_port

ROOT = Path(settings.BASE_DIR)


def session_processes(sid: int) -> dict[int, str]:
    """pid -> command line of every live process in session ``sid``."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            fields = stat[stat.rindex(")") + 2 :].split()
            if int(fields[3]) == sid and fields[0] != "Z":
                found[int(entry.name)] = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, ValueError):
            continue
    return found


def get(port: int, path: str, **headers) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def wait_healthy(proc, port: int, log: Path, timeout: float = 420.0, **headers) -> None:
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"the script exited ({proc.returncode}):\n{log.read_text()[-4000:]}")
        try:
            last = get(port, "/health/?format=json", **headers)
            if last[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"never healthy (last: {last}):\n{log.read_text()[-4000:]}")


def run_script(script: str, env: dict, tmp_path: Path, port: int, **headers) -> tuple[dict[int, str], str]:
    """Start ``script`` in its own session, wait until /health/ is 200, list its processes, stop it
    with Ctrl-C (SIGINT) and check that nothing it started is left. Returns (processes, log)."""
    log = tmp_path / "script.log"
    clean = {k: v for k, v in os.environ.items() if k not in {"DJANGO_ALLOW_ASYNC_UNSAFE", "REDIS_URL", "DEBUG"}}
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(ROOT / "scripts" / script)], cwd=ROOT, env={**clean, **env}, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    try:
        wait_healthy(proc, port, log, **headers)
        running = session_processes(proc.pid)
        os.kill(proc.pid, signal.SIGINT)  # what Ctrl-C sends to the script
        proc.wait(timeout=60)
        deadline = time.monotonic() + 30
        while session_processes(proc.pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        left = session_processes(proc.pid)
        assert not left, f"still running after the script stopped: {left}"
        return running, log.read_text()
    finally:
        for pid in session_processes(proc.pid):  # only our own session's processes, by PID
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)


def base_env(tmp_path: Path, port: int) -> dict:
    return {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "STATIC_ROOT": str(tmp_path / "static"),
        "MEDIA_ROOT": str(tmp_path / "media"),
        "PRIVATE_MEDIA_ROOT": str(tmp_path / "private"),
        "LOG_LEVEL": "INFO",
        "OPS_HEARTBEAT_WRITE_SECONDS": "1",
    }


def test_run_sh_serves_with_daphne_beside_the_sweeper_and_the_worker_and_stops_them_all(tmp_path):
    assert "runserver" not in (ROOT / "scripts" / "run.sh").read_text()
    port = free_port()
    env = {**base_env(tmp_path, port), "SOULSEER_ADDR": f"127.0.0.1:{port}"}
    running, log = run_script("run.sh", env, tmp_path, port)
    commands = " | ".join(running.values())
    assert "daphne" in commands and "runserver" not in commands
    assert "manage.py bill_readings" in commands and "manage.py db_worker" in commands
    assert "INFO readings.sweeper" in log  # timestamped one-line logs from the sweeper
    with sqlite3.connect(tmp_path / "db.sqlite3") as db:  # the development path seeds the demo
        assert db.execute("SELECT count(*) FROM accounts_user WHERE email = 'client@soulseer.demo'").fetchone()[0]


def test_run_production_sh_refuses_debug_mode(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "DEBUG"}
    result = subprocess.run(
        [str(ROOT / "scripts" / "run-production.sh")], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2 and "DEBUG=false" in result.stderr


def test_run_production_sh_runs_the_site_and_never_seeds_demo_data(tmp_path):
    assert "seed_demo" not in (ROOT / "scripts" / "run-production.sh").read_text()
    port = free_port()
    env = {
        **base_env(tmp_path, port),
        "DEBUG": "false",
        "SECRET_KEY": "q7!Xv2@Lp9#Zr4$Wm8%Kt1^Bn6&Yh3*Jc5(Gd0)Fs-" * 2,
        "ALLOWED_HOSTS": "127.0.0.1",
        "DAPHNE_PORTS": str(port),
    }
    running, _log = run_script("run-production.sh", env, tmp_path, port, **{"X-Forwarded-Proto": "https"})
    commands = " | ".join(running.values())
    assert commands.count("daphne") >= 1 and "--proxy-headers" in commands
    assert "manage.py bill_readings" in commands and "manage.py db_worker" in commands
    with sqlite3.connect(tmp_path / "db.sqlite3") as db:
        assert db.execute("SELECT count(*) FROM accounts_user WHERE email LIKE '%soulseer.demo'").fetchone()[0] == 0
