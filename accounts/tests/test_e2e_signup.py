"""A new client signs up, confirms their email, logs in and opens a reader's profile, in headless Chromium."""

import re

import pytest

from readings.tests.e2e_support import sign_up

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_new_client_signs_up_logs_in_and_opens_a_reader(browser, live_server, bob):
    context = browser.new_context(viewport={"width": 375, "height": 800})
    page = context.new_page()
    try:
        sign_up(page, live_server.url, "nova@example.com", "a-long-unusual-passphrase")

        page.goto(f"{live_server.url}/accounts/logout/")
        page.click("form button[type=submit]")
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("input[name=login]", "nova@example.com")
        page.fill("input[name=password]", "a-long-unusual-passphrase")
        page.click("form button[type=submit]")
        page.wait_for_url(re.compile(r"/dashboard/client/"))

        page.goto(f"{live_server.url}/readers/")
        page.click("text=Bob the Seer")
        page.wait_for_url(re.compile(r"/readers/bob-the-seer/"))
        assert page.locator("h1").first.inner_text().strip() == "Bob the Seer"
        assert "$2.00" in page.content()
    finally:
        context.close()
