"""Production mode (DEBUG off) must refuse to start without its secrets, and pass check --deploy."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run_manage(*args, **env):
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"SECRET_KEY", "ALLOWED_HOSTS", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    clean.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120
    )


def test_production_refuses_a_missing_secret_key():
    result = run_manage("check", DEBUG="false", ALLOWED_HOSTS="soulseer.example")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_refuses_missing_allowed_hosts():
    result = run_manage("check", DEBUG="false", SECRET_KEY="x" * 60)
    assert result.returncode != 0
    assert "ALLOWED_HOSTS must be set" in result.stderr


@pytest.mark.parametrize("debug", ["true"])
def test_development_needs_nothing_set(debug):
    assert run_manage("check", DEBUG=debug).returncode == 0


def test_check_deploy_reports_nothing_serious():
    secret = "k9#Qv2!Lp7$Zr4@Xw8^Mn1&Bt6*Hy3(Uj5)Ge0%Fd-" * 2
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="false",
        SECRET_KEY=secret,
        ALLOWED_HOSTS="soulseer.example",
    )
    assert result.returncode == 0, result.stdout + result.stderr
