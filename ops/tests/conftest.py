import os
import subprocess
import sys

import pytest
from django.conf import settings


def manage(env: dict, *args, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture(scope="session")
def process_env(tmp_path_factory):
    """Environment for a real management-command process on its own migrated SQLite file."""
    path = tmp_path_factory.mktemp("ops-db") / "db.sqlite3"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{path}", "LOG_LEVEL": "INFO", "REDIS_URL": ""}
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    result = manage(env, "migrate", "-v0")
    assert result.returncode == 0, result.stderr
    env["_SQLITE_PATH"] = str(path)
    return env
