"""The task worker (`manage.py db_worker`) beats on every pass of its loop, busy or idle."""

import sqlite3

from django.core.management import get_commands

from ops.tests.conftest import manage


def test_manage_py_db_worker_is_the_beating_one():
    assert get_commands()["db_worker"] == "ops"


def test_an_idle_worker_pass_records_the_heartbeat(process_env):
    result = manage(process_env, "db_worker", "--batch", "--no-startup-delay", "--no-reload", timeout=120)
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(process_env["_SQLITE_PATH"]) as db:
        rows = db.execute("SELECT name, pid, detail FROM ops_processheartbeat WHERE name = 'db_worker'").fetchall()
    assert len(rows) == 1
    name, pid, detail = rows[0]
    assert pid and "ran 0 task(s)" in detail
