"""Shared fixtures. Personas: alice is a client, bob is a reader, carol is an admin."""

import os
import shutil

import pytest
from django.conf import settings

from accounts.tests.factories import ReaderProfileFactory, UserFactory

# Cheap password hashing for the suite and for the daphne processes it starts (settings.py reads the
# variable; this process read its settings before this file, so it is switched here too).
os.environ.setdefault("SOULSEER_FAST_PASSWORD_HASHER", "1")
settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

PASSWORD = "correct-horse-battery"


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def alice(db):
    return UserFactory(email="alice@example.com", first_name="Alice")


@pytest.fixture
def bob(db):
    return ReaderProfileFactory(
        user__email="bob@example.com", user__first_name="Bob", display_name="Bob the Seer", slug="bob-the-seer"
    ).user


@pytest.fixture
def carol(db):
    from accounts.models import User

    return User.objects.create_superuser(email="carol@example.com", password=PASSWORD)


@pytest.fixture
def run_tasks():
    """Run every queued background task now with the real worker (``manage.py db_worker --batch``).

    The worker closes stale database connections between tasks; inside a test that would close
    the test's own transaction, so only that call is neutralised here.
    """
    from unittest import mock

    from django.core.management import call_command

    def run() -> None:
        with mock.patch("django_tasks_db.management.commands.db_worker.close_old_connections"):
            call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)

    return run


def chromium_path() -> str:
    path = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        # Never skip: an end-to-end test that did not run must not count as passing.
        raise RuntimeError("Chromium is not installed: run scripts/test.sh (it installs Debian's chromium).")
    return path


CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
]


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium (Debian's) for the session, driven by Playwright."""
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs a loop
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def pytest_collection_modifyitems(config, items):
    """End-to-end tests run last: Playwright's sync API keeps an event loop running in the main
    thread while the session-scoped ``browser`` lives, and asyncio tests after it cannot start theirs."""
    items.sort(key=lambda item: item.get_closest_marker("e2e") is not None)
