"""Sentry is initialised only when SENTRY_DSN is set."""

import os
import subprocess
import sys

from django.conf import settings

PROBE = (
    "import django, sentry_sdk; django.setup(); c = sentry_sdk.get_client(); "
    "print(c.is_active(), c.options.get('dsn'), c.options.get('send_default_pii'))"
)


def probe(**env) -> str:
    clean = {k: v for k, v in os.environ.items() if k not in {"SENTRY_DSN", "DJANGO_ALLOW_ASYNC_UNSAFE"}}
    clean.update(env, DJANGO_SETTINGS_MODULE="soulseer.settings")
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=settings.BASE_DIR, env=clean, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_sentry_is_off_without_a_dsn():
    assert probe().startswith("False")


def test_sentry_reports_errors_when_a_dsn_is_set():
    dsn = "https://public@sentry.invalid/1"
    assert probe(SENTRY_DSN=dsn) == f"True {dsn} False"
