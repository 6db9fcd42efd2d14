"""A new client signs up, confirms their email, logs in and opens a reader's profile, in headless Chromium."""

import re

import pytest
from django.core import mail

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_new_client_signs_up_logs_in_and_opens_a_reader(browser, live_server, bob):
    context = browser.new_context(viewport={"width": 375, "height": 800})
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/accounts/signup/")
        page.fill("input[name=email]", "nova@example.com")
        page.fill("input[name=password1]", "a-long-unusual-passphrase")
        page.fill("input[name=password2]", "a-long-unusual-passphrase")
        page.check("input[name=accept_terms]")
        page.click("form button[type=submit]")
        page.wait_for_url(re.compile(r"/accounts/confirm-email/"))

        link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", mail.outbox[-1].body).group(0)
        page.goto(link.replace(re.match(r"https?://[^/]+", link).group(0), live_server.url))
        page.wait_for_url(re.compile(r"/dashboard/client/"))

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
