"""Shared fixtures. Personas: alice is a client, bob is a reader, carol is an admin."""

import contextlib
import json
import os
import shutil
from pathlib import Path

import pytest
from django.conf import settings

from accounts.tests.factories import ReaderProfileFactory, UserFactory

# Cheap password hashing for the suite and for the daphne processes it starts (settings.py reads the
# variable; this process read its settings before this file, so it is switched here too).
os.environ.setdefault("SOULSEER_FAST_PASSWORD_HASHER", "1")
settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

PASSWORD = "correct-horse-battery"

ON_POSTGRES = "postgresql" in settings.DATABASES["default"]["ENGINE"]


def postgres_only(why: str = "concurrency needs real PostgreSQL row locks") -> list:
    """The marks of a test module that only means something on PostgreSQL: skipped elsewhere with
    ``why``, and run with real transactions (threads and other processes see each other's commits)."""
    return [
        pytest.mark.postgres,
        pytest.mark.skipif(not ON_POSTGRES, reason=f"{why}: set DATABASE_URL=postgres://…"),
        pytest.mark.django_db(transaction=True),
    ]


def race(n: int, work) -> list:
    """Run ``work(i)`` in ``n`` threads released together; return each result or exception."""
    import threading

    from django.db import connection

    barrier = threading.Barrier(n)
    results: list = [None] * n

    def run(i):
        try:
            barrier.wait()
            results[i] = work(i)
        except Exception as exc:
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"


@pytest.fixture(autouse=True)
def _fresh_cache(settings):
    """Each test sees its own data: no listing remembered from another test (a test may turn it on)."""
    from django.core.cache import cache

    settings.SOULSEER_LISTING_CACHE_SECONDS = 0
    cache.clear()


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
def fresh_channel_layer():
    """A new channel layer for the test: each async test has its own event loop, and channels-redis
    binds its connections to one."""
    from channels.layers import channel_layers

    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


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
    """One headless Chromium (Debian's) for the session, driven by Playwright.

    Every context and page made from it is watched by the browser guards below (``watch_context``):
    a test whose pages break the Content-Security-Policy fails.
    and checked by axe-core after each load (``axe_guard_browser``).
    """
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs a loop
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS)
        guard_browser(browser)  # the CSP guard
        yield axe_guard_browser(browser)  # and axe-core, around it
        browser.close()


# --- Browser guards -----------------------------------------------------------------------------------
# Every context/page created from the session ``browser`` is passed to ``watch_context``, which attaches
# each guard; ``pytest_runtest_call`` fails the test whose pages a guard caught. Add a guard as a
# ``watch_<name>(context)`` + ``<name>_problems()`` pair and list it in both places.


class BrowserProblems:
    """What the guards saw during the current test (cleared before each test)."""

    def __init__(self):
        self.console: list[str] = []  # every console message, "type: text" (for the failure report)
        self.csp: list[str] = []  # Content-Security-Policy violations

    def clear(self):
        self.console.clear()
        self.csp.clear()


browser_problems = BrowserProblems()

CSP_MARK = "[csp-violation]"
CSP_LISTENER = (
    "document.addEventListener('securitypolicyviolation', function (e) {"
    "  console.error('" + CSP_MARK + " ' + JSON.stringify({directive: e.effectiveDirective, blocked: e.blockedURI,"
    "    source: e.sourceFile, line: e.lineNumber, sample: e.sample, page: document.location.href}));"
    "}, true);"
)


def watch_csp(context) -> None:
    """Record CSP violations: the page's ``securitypolicyviolation`` events and Chromium's console reports."""
    context.add_init_script(CSP_LISTENER)

    def on_console(message):
        text = message.text
        browser_problems.console.append(f"{message.type}: {text}")
        if text.startswith(CSP_MARK) or "Content Security Policy" in text:
            browser_problems.csp.append(text)

    context.on("console", on_console)


def csp_problems() -> list[str]:
    if not browser_problems.csp:
        return []
    return ["Content-Security-Policy violations in the browser:", *browser_problems.csp]


def watch_context(context) -> None:
    """Attach every browser guard to a context (once)."""
    if getattr(context, "_soulseer_guarded", False):
        return
    context._soulseer_guarded = True
    watch_csp(context)


def guard_browser(browser) -> None:
    """Wrap ``browser.new_context``/``new_page`` so every context and page they make is watched."""
    new_context, new_page = browser.new_context, browser.new_page

    def guarded_new_context(*args, **kwargs):
        context = new_context(*args, **kwargs)
        watch_context(context)
        return context

    def guarded_new_page(*args, **kwargs):
        # A page that owns its context (closed with it): watched before it loads anything.
        page = new_page(*args, **kwargs)
        watch_context(page.context)
        return page

    browser.new_context = guarded_new_context
    browser.new_page = guarded_new_page


@pytest.fixture(autouse=True)
def _browser_guards():
    """Each test starts with no recorded browser problems (checked in ``pytest_runtest_call``)."""
    browser_problems.clear()
    yield
    browser_problems.clear()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    result = yield
    problems = csp_problems()
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)
    return result


# --- axe-core on every page a browser test visits ------------------------------------------------
# The npm package axe-core (frontend/package.json; scripts/test.sh installs it) is injected into every
# page of every context made from the session browser. It runs after each load (a navigation, a
# reload, a form post) and reports to Python; a page left through page.goto is checked before it is
# left, and a context is flushed before it closes. Any serious or critical violation fails the test.

AXE_IMPACTS = ("serious", "critical")
AXE_PATH = Path(__file__).resolve().parent / "frontend" / "node_modules" / "axe-core" / "axe.min.js"
axe_violations: list[str] = []  # this test's findings ("<url>: <rule> (<impact>): <help> — <targets>")

AXE_RUNNER = """
(() => {
  if (window.top !== window || window.__soulseerAxe || !location.protocol.startsWith("http")) return;
  window.__soulseerAxe = new Promise((resolve) => {
    const run = () => setTimeout(() => {
      axe.run(document, { resultTypes: ["violations"] }).then((results) => {
        const found = results.violations.filter((v) => __IMPACTS__.includes(v.impact)).map((v) => ({
          id: v.id, impact: v.impact, help: v.help,
          targets: v.nodes.slice(0, 5).map((n) => n.target.join(" ")),
        }));
        return window.__soulseerAxeReport(location.href, found);
      }).catch(() => null).then(resolve);
    }, 50);
    if (document.readyState === "complete") run(); else window.addEventListener("load", run, { once: true });
  });
})();
""".replace("__IMPACTS__", json.dumps(list(AXE_IMPACTS)))


def axe_record(source, url: str, found: list) -> None:
    for v in found:
        axe_violations.append(f"{url}: {v['id']} ({v['impact']}): {v['help']} — {', '.join(v['targets'])}")


def axe_wait(page) -> None:
    """Wait for the axe run of the page's current document (if it is one of ours and still there)."""
    # The page may have navigated or closed meanwhile: its next document runs its own check.
    with contextlib.suppress(Exception):
        page.evaluate("() => window.__soulseerAxe || null")


def axe_guard_page(page):
    goto = page.goto

    def checked_goto(*args, **kwargs):
        if page.url.startswith("http"):
            axe_wait(page)  # the page we leave was checked
        response = goto(*args, **kwargs)
        axe_wait(page)
        return response

    page.goto = checked_goto
    return page


def axe_guard_context(context):
    if not AXE_PATH.exists():
        raise RuntimeError(f"{AXE_PATH} is missing: run scripts/test.sh (it installs axe-core with npm).")
    context.add_init_script(path=str(AXE_PATH))
    context.add_init_script(script=AXE_RUNNER)
    context.expose_binding("__soulseerAxeReport", axe_record)
    context.on("page", axe_guard_page)
    close = context.close

    def flushed_close(*args, **kwargs):
        for page in context.pages:
            if page.url.startswith("http"):
                axe_wait(page)
        close(*args, **kwargs)
        axe_fail_on_violations()

    context.close = flushed_close
    return context


def axe_guard_browser(browser):
    new_context = browser.new_context

    def guarded_new_context(*args, **kwargs):
        return axe_guard_context(new_context(*args, **kwargs))

    def guarded_new_page(*args, **kwargs):
        context = guarded_new_context(*args, **kwargs)
        page = context.new_page()
        page.close = _closing_context(page, context)
        return page

    browser.new_context, browser.new_page = guarded_new_context, guarded_new_page
    return browser


def _closing_context(page, context):
    def close(*args, **kwargs):
        context.close()

    return close


def axe_fail_on_violations() -> None:
    if axe_violations:
        found = list(dict.fromkeys(axe_violations))
        axe_violations.clear()
        pytest.fail("axe-core found serious or critical accessibility violations:\n" + "\n".join(found))


@pytest.fixture(autouse=True)
def _axe_check(request):
    """Fail an end-to-end test whose pages had serious or critical axe violations not yet reported."""
    axe_violations.clear()
    yield
    if request.node.get_closest_marker("e2e") is not None:
        axe_fail_on_violations()


def pytest_collection_modifyitems(config, items):
    """End-to-end tests run last: Playwright's sync API keeps an event loop running in the main
    thread while the session-scoped ``browser`` lives, and asyncio tests after it cannot start theirs.

    ``scripts/test.sh`` runs the suite on two pytest-xdist workers (``--dist loadgroup``); the
    browser tests are one group, so one Chromium runs at a time, on one worker, after its other tests.
    """
    items.sort(key=lambda item: item.get_closest_marker("e2e") is not None)
    for item in items:
        if item.get_closest_marker("e2e") is not None:
            item.add_marker(pytest.mark.xdist_group("browser"))
