"""The browser guards in conftest.py: a page that breaks the Content-Security-Policy is caught."""

import time

import pytest

import conftest

PAGE = "http://guard.test/"
POLICY = "default-src 'self'; script-src 'self'; style-src 'self'"
# Pages that are fine for axe-core (the accessibility guard also watches them), broken only for the CSP.
BROKEN = (
    "<!doctype html><html lang='en'><title>t</title><main><p style='color:red'>x</p></main>"
    "<script>document.title = 'ran'</script></html>"
)


def serve(page, body: str, policy: str = POLICY) -> None:
    page.route(
        PAGE,
        lambda route: route.fulfill(
            status=200, body=body, headers={"Content-Type": "text/html", "Content-Security-Policy": policy}
        ),
    )


@pytest.mark.e2e
@pytest.mark.parametrize("make", ["new_context", "new_page"])
def test_the_guard_records_violations_on_pages_of_any_context(browser, make):
    if make == "new_context":
        context = browser.new_context()
        page = context.new_page()
    else:
        context, page = None, browser.new_page()
    try:
        serve(page, BROKEN)
        page.goto(PAGE)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and len(conftest.browser_problems.csp) < 2:
            page.wait_for_timeout(50)  # lets Playwright deliver the console events to Python
        assert page.title() == "t"  # the inline script did not run
        violations = list(conftest.browser_problems.csp)
        assert any("script-src" in v for v in violations), violations
        assert any("style-src" in v for v in violations), violations
        assert conftest.csp_problems()[0].startswith("Content-Security-Policy violations")
    finally:
        conftest.browser_problems.clear()  # this test broke the policy on purpose
        (context or page).close()


@pytest.mark.e2e
def test_a_clean_page_records_nothing(browser):
    page = browser.new_page()
    try:
        serve(page, "<!doctype html><html lang='en'><title>clean</title><main><p class='x'>fine</p></main></html>")
        page.goto(PAGE)
        assert page.title() == "clean"
        assert conftest.browser_problems.csp == []
    finally:
        page.close()


def test_the_hook_fails_the_test_that_produced_a_violation():
    hook = conftest.pytest_runtest_call(item=None)
    next(hook)
    conftest.browser_problems.csp.append("Refused to execute inline script ... Content Security Policy ...")
    with pytest.raises(pytest.fail.Exception, match="Content-Security-Policy violations"):
        hook.send(None)
    conftest.browser_problems.clear()
