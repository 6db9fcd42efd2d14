"""Demo data never reaches a production database: seed_demo refuses with DEBUG off unless forced."""

import os
import subprocess
import sys

import pytest
from django.conf import settings as django_settings
from django.core.management import CommandError, call_command

from accounts.models import User


@pytest.mark.django_db
def test_seed_demo_refuses_with_debug_off(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="Refusing to seed demo data with DEBUG off"):
        call_command("seed_demo")
    assert not User.objects.filter(email="admin@soulseer.demo").exists()
    assert not User.objects.exists()


@pytest.mark.django_db
def test_seed_demo_can_be_forced_for_a_staging_site(settings):
    settings.DEBUG = False
    call_command("seed_demo", "--allow-production")
    assert User.objects.filter(email="client@soulseer.demo").exists()


def test_manage_py_seed_demo_exits_non_zero_in_production(tmp_path):
    """The real command line, as an operator would run it on a production box."""
    env = {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": "x" * 60,
        "ALLOWED_HOSTS": "soulseer.example",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'prod.sqlite3'}",
        "STRIPE_SECRET_KEY": "sk_live_looks_real",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "seed_demo"],
        cwd=django_settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "Refusing to seed demo data with DEBUG off" in result.stderr
    assert "--allow-production" in result.stderr
    assert "soulseer-demo-2026" not in result.stdout
