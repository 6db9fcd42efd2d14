"""The pages a person trusts with their card, in headless Chromium at 375 px and 1280 px: the directory,
a profile (visitor and client), the wallet, the bell, and a video room (both parties). axe-core checks
every page these tests visit (conftest.py) and fails on serious or critical violations."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from accounts.models import ReaderProfile
from accounts.tests.factories import ReaderProfileFactory
from payments import services as payments
from readings.tests.e2e_support import daphne, login, verified
from readings.tests.helpers import fund

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 800}
VIEWPORTS = [PHONE, DESKTOP]
TIMEOUT = 30_000


def page_in(browser, viewport):
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT)
    return context, page


def top_in_first_screen(page, locator, margin: int = 0) -> bool:
    box = locator.bounding_box()
    return box is not None and box["y"] >= 0 and box["y"] + margin <= page.viewport_size["height"]


def no_sideways_scroll(page) -> bool:
    return page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")


@pytest.fixture
def directory(bob):
    for n, availability in enumerate(["online", "busy", "offline", "offline", "online"]):
        ReaderProfileFactory(display_name=f"Reader {n}", slug=f"reader-{n}", availability=availability)
    return bob


def test_directory_shows_a_reader_first_on_phones_and_filters_in_a_sheet(browser, directory):
    with daphne() as (url,):
        for viewport in VIEWPORTS:
            context, page = page_in(browser, viewport)
            try:
                page.goto(f"{url}/readers/")
                card = page.locator("#reader-results article").first
                assert top_in_first_screen(page, card, margin=120), "a reader card starts above the fold"
                assert no_sideways_scroll(page)
                specialty = page.locator("#id_specialty")
                if viewport is PHONE:
                    assert not specialty.is_visible()  # folded into the "Filters" sheet
                    page.click("#filter-sheet summary")
                    specialty.wait_for(state="visible")
                else:
                    specialty.wait_for(state="visible")  # a sidebar on wide screens
                    assert not page.locator("#filter-sheet summary").is_visible()
                # Calls to action follow availability: online, busy and offline readers each show theirs.
                assert page.locator('[data-when="online"]:visible [data-start-signup]').count() >= 2
                assert page.locator('[data-when="busy"]:visible').count() == 1
                assert page.locator('[data-when="offline"]:visible [data-notify-me]').count() == 2
            finally:
                context.close()


def test_a_visitor_goes_through_sign_up_and_back_to_the_reader(browser, bob):
    with daphne() as (url,):
        for viewport in VIEWPORTS:
            context, page = page_in(browser, viewport)
            try:
                page.goto(f"{url}/readers/bob-the-seer/")
                start = page.get_by_role("link", name="Chat now · $2.00/min")
                assert top_in_first_screen(page, start) or viewport is PHONE
                start.click()
                page.wait_for_url(re.compile(r"/accounts/signup/\?next=/readers/bob-the-seer/"))
                assert page.locator("input[name=next]").get_attribute("value") == "/readers/bob-the-seer/"
                assert "unless you share your first name" in page.inner_text("form")
            finally:
                context.close()


def test_a_client_sees_what_they_cannot_afford_before_clicking(browser, alice, bob):
    verified(alice)
    fund(alice, "8.00")  # chat needs $6.00 (3 min at $2.00), voice $9.00, video $12.00
    with daphne() as (url,):
        for viewport in VIEWPORTS:
            context, page = page_in(browser, viewport)
            try:
                login(page, url, alice.email)
                page.goto(f"{url}/readers/bob-the-seer/")
                video = page.locator("#start-reading button[data-start=video]")
                assert video.is_disabled()
                reason = page.locator(f"#{video.get_attribute('aria-describedby')}")
                assert reason.is_visible() and reason.inner_text() == "You need $12.00 to start; your balance is $8.00."
                assert page.locator("#start-reading button[data-start=chat]").is_enabled()
                topup = page.locator("#start-reading button[data-topup=video]")
                assert topup.is_visible() and topup.inner_text() == "Add $10 to your wallet"
                # The heart keeps the reader (HTMX, no reload).
                heart = page.locator("[data-favourite] button.heart")
                if heart.get_attribute("aria-pressed") == "true":
                    heart.click()
                    page.locator('[data-favourite] button.heart[aria-pressed="false"]').wait_for()
                page.locator("[data-favourite] button.heart").click()
                page.locator('[data-favourite] button.heart[aria-pressed="true"]').wait_for()
                # One click on the top-up goes to the (sandbox) checkout for the amount shown.
                page.locator("#start-reading button[data-topup=video]").click()
                page.wait_for_url(re.compile(r"/sandbox"))
                assert "$10" in page.inner_text("main")
            finally:
                context.close()
    assert alice.favourites.filter(reader=bob.reader_profile).exists()


def test_the_wallet_reads_well_on_a_phone(browser, alice, bob):
    verified(alice)
    fund(alice, "40.00")
    for n in range(3):
        payments.charge(alice, bob, Decimal("4.00"), key=f"e2e:{n}", memo=f"Video reading with a long description {n}")
    with daphne() as (url,):
        for viewport in VIEWPORTS:
            context, page = page_in(browser, viewport)
            try:
                login(page, url, alice.email)
                page.goto(f"{url}/wallet/")
                assert "Payments by Stripe — we never see your card." in page.inner_text("#trust-signals")
                assert page.locator("#trust-signals img[alt=Visa]").is_visible()
                assert page.get_by_role("link", name="refund policy", exact=True).is_visible()
                assert "min" in page.inner_text("#balance-buys")
                entries = page.locator("[data-testid=history] [data-entry]")
                assert entries.count() == 4
                assert no_sideways_scroll(page)
                amount = entries.first.locator("text=$").last
                box = amount.bounding_box()
                assert box["x"] + box["width"] <= viewport["width"], "the amount column is not clipped"
            finally:
                context.close()


def test_the_bell_count_rises_live(browser, alice, bob):
    verified(alice)
    verified(bob)
    fund(alice, "20.00")
    with daphne({"READINGS_REQUEST_TIMEOUT_SECONDS": "2"}) as (url,):
        reader_ctx, reader = page_in(browser, PHONE)
        client_ctx, client = page_in(browser, DESKTOP)
        try:
            login(reader, url, bob.email)
            reader.goto(f"{url}/dashboard/reader/")
            reader.wait_for_function(
                "() => window.soulseerNotifications && window.soulseerNotifications.readyState === 1"
            )
            count = reader.locator("#bell-mobile [data-unread-count]")
            assert not count.is_visible()
            login(client, url, alice.email)
            client.goto(f"{url}/readers/bob-the-seer/")
            client.click("#start-reading button[data-start=chat]")
            client.wait_for_url(re.compile(r"/readings/\d+/$"))
            # Nobody answers: the request expires and the reader's bell counts the missed request, live.
            count.wait_for(state="visible", timeout=TIMEOUT)
            assert count.inner_text() == "1"
            assert reader.locator("#bell-mobile").get_attribute("aria-label") == "Notifications, 1 unread"
            reader.click("#bell-mobile")
            reader.wait_for_url(re.compile(r"/notifications/$"))
            assert "You missed a chat reading request" in reader.inner_text("#notification-list")
            reader.click("[data-mark-read]")
            reader.locator('[data-notification][data-read="true"]').wait_for()
            reader.locator("#bell-mobile [data-unread-count]").wait_for(state="hidden")
        finally:
            reader_ctx.close()
            client_ctx.close()


def test_the_video_room_is_phone_first(browser, alice, bob):
    verified(alice)
    verified(bob)
    fund(alice, "20.00")
    ReaderProfile.objects.filter(user=bob).update(availability="online")
    with daphne() as (url,):
        client_ctx, client = page_in(browser, PHONE)
        reader_ctx, reader = page_in(browser, DESKTOP)
        try:
            login(client, url, alice.email)
            login(reader, url, bob.email)
            reader.goto(f"{url}/dashboard/reader/")
            reader.wait_for_function(
                "() => window.soulseerNotifications && window.soulseerNotifications.readyState === 1"
            )
            client.goto(f"{url}/readers/bob-the-seer/")
            client.click("#start-reading button[data-start=video]")
            client.wait_for_url(re.compile(r"/readings/\d+/$"))
            reader.locator("[data-reading-request] [data-accept]").click()
            reader.wait_for_url(re.compile(r"/readings/\d+/room/$"))
            client.wait_for_url(re.compile(r"/readings/\d+/room/$"))
            for page in (client, reader):
                page.wait_for_function(
                    """() => { const v = document.getElementById('remote-media');
                               return v && v.videoWidth > 0 && !v.paused && v.readyState >= 2; }""",
                    timeout=TIMEOUT,
                )
            # On the phone the other person's video is the first screen, with the bar and controls on it.
            remote = client.locator("#remote-media").bounding_box()
            assert remote["y"] < 120 and remote["y"] + remote["height"] >= PHONE["height"] - 40
            for selector in ("#timer", "#cost", "#balance", "#end-reading", "#toggle-mic", "#local-media"):
                assert top_in_first_screen(client, client.locator(selector)), selector
            assert not client.locator("#chat-panel").is_visible()  # a drawer on phones
            assert reader.locator("#chat-panel").is_visible()  # a column on wide screens

            # The reader writes: the phone's chat button counts it until the drawer is opened.
            reader.fill("#chat-input", "Welcome, dear")
            reader.click("#chat-send")
            client.locator("#chat-unread").wait_for(state="visible")
            assert client.inner_text("#chat-unread") == "1"
            client.click("#toggle-chat")
            client.locator("#chat-log .chat-text", has_text="Welcome, dear").wait_for()
            assert not client.locator("#chat-unread").is_visible()
            client.fill("#chat-input", "Thank you")
            client.click("#chat-send")
            reader.locator("#chat-log .chat-text", has_text="Thank you").wait_for()
            client.click("#close-chat")

            # The money on screen is the server's: the reader's earnings are the 70 % split it computed.
            expect(reader.locator("#minutes")).to_have_text(re.compile(r"^[1-9]"), timeout=TIMEOUT)
            minutes, share = reader.evaluate(
                "() => [Number(document.getElementById('minutes').textContent), "
                "document.getElementById('share').textContent]"
            )
            assert share == f"${payments.split(Decimal('4.00'))[0] * minutes}"
            expect(client.locator("#balance")).to_have_text(re.compile(r"^\$1[0-9]\.00$"), timeout=TIMEOUT)
            client.click("#end-reading")
            client.wait_for_url(re.compile(r"/readings/\d+/summary/$"))
            reader.wait_for_url(re.compile(r"/readings/\d+/summary/$"))
        finally:
            client_ctx.close()
            reader_ctx.close()


def test_the_axe_guard_fails_a_page_with_a_serious_violation(browser):
    context = browser.new_context()
    page = context.new_page()
    page.route(
        "http://axe-guard.test/",
        lambda route: route.fulfill(
            content_type="text/html",
            body="<!doctype html><html lang=en><head><title>t</title></head><body><main><h1>t</h1>"
            "<img src='data:image/gif;base64,R0lGODlhAQABAAAAACw='></main></body></html>",
        ),
    )
    page.goto("http://axe-guard.test/")
    with pytest.raises(pytest.fail.Exception, match="image-alt"):
        context.close()
