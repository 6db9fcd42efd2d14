"""A whole video reading in headless Chromium: two browser contexts, a real daphne, a real WebRTC call.

Chromium's fake camera and microphone (--use-fake-device-for-media-stream, --use-fake-ui-for-media-stream)
feed the call. A billed "minute" lasts 4 s here (SOULSEER_BILLING_MINUTE_SECONDS for the server).
"""

import os
import re
from decimal import Decimal

import pytest

from payments import services as payments
from readings.models import ChatMessage, Reading, Review
from readings.tests.e2e_support import daphne, login, verified
from readings.tests.helpers import fund, verify_ledger

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

RATE = Decimal("4.00")  # bob's video rate (factory)
TIMEOUT = 30_000


@pytest.fixture
def people(alice, bob):
    verified(alice)
    verified(bob)
    fund(alice, "20.00")
    return alice, bob


def remote_video_playing(page) -> None:
    page.wait_for_function(
        """() => { const v = document.getElementById('remote-media');
                   return v && v.videoWidth > 0 && !v.paused && v.readyState >= 2; }""",
        timeout=TIMEOUT,
    )


def run_video_reading(browser, client_url: str, reader_url: str, alice, bob) -> Reading:
    client_ctx, reader_ctx = browser.new_context(), browser.new_context()
    try:
        client, reader = client_ctx.new_page(), reader_ctx.new_page()
        for page in (client, reader):
            page.set_default_timeout(TIMEOUT)
        login(client, client_url, alice.email)
        login(reader, reader_url, bob.email)
        reader.goto(f"{reader_url}/readers/")  # any page: the reader's notifications socket is open
        reader.wait_for_function("() => window.soulseerNotifications && window.soulseerNotifications.readyState === 1")

        # The client asks for a video reading on the reader's profile.
        client.goto(f"{client_url}/readers/bob-the-seer/")
        client.click("button[data-start=video]")
        client.wait_for_url(re.compile(r"/readings/\d+/$"))
        assert "Waiting for" in client.inner_text("#reading-status")

        # The reader hears it live (banner with the client's name and type) and accepts.
        banner = reader.locator("[data-reading-request]")
        banner.wait_for()
        assert alice.public_name in banner.inner_text() and "video" in banner.inner_text()
        banner.locator("[data-accept]").click()
        reader.wait_for_url(re.compile(r"/readings/\d+/room/$"))
        client.wait_for_url(re.compile(r"/readings/\d+/room/$"))  # the client sees the outcome live

        # The call connects both ways.
        remote_video_playing(client)
        remote_video_playing(reader)

        # Chat both ways, shown as text.
        client.fill("#chat-input", "Hello <b>Bob</b>")
        client.click("#chat-send")
        reader.locator("#chat-log .chat-text", has_text="Hello <b>Bob</b>").wait_for()
        reader.fill("#chat-input", "Welcome, dear")
        reader.click("#chat-send")
        client.locator("#chat-log .chat-text", has_text="Welcome, dear").wait_for()
        assert reader.locator("#chat-log b").count() == 0  # never parsed as HTML

        # Two billed minutes, then the client ends it.
        client.wait_for_function("() => document.getElementById('minutes').textContent.trim() === '2'")
        assert client.inner_text("#balance") == f"${Decimal('20.00') - 2 * RATE}"
        client.click("#end-reading")
        client.wait_for_url(re.compile(r"/readings/\d+/summary/$"))
        reader.wait_for_url(re.compile(r"/readings/\d+/summary/$"))
        for page in (client, reader):
            assert page.inner_text("#summary-minutes") == "2"
            assert page.inner_text("#summary-total") == f"${2 * RATE}"
        assert reader.inner_text("#summary-share") == "$5.60"
        assert "Hello <b>Bob</b>" in reader.inner_text("#transcript")

        # The client leaves a review.
        client.check("input[name=rating][value='5']")
        client.fill("textarea[name=comment]", "Spot on!")
        client.click("#review-form button[type=submit]")
        client.locator("#review").wait_for()
        return Reading.objects.get(client=alice)
    finally:
        client_ctx.close()
        reader_ctx.close()


def assert_two_minutes_settled(reading, alice, bob):
    reading.refresh_from_db()
    assert reading.status == Reading.Status.ENDED and reading.end_reason == "client"
    assert reading.billed_minutes == 2
    assert reading.total_charged == 2 * RATE
    assert payments.balance(alice) == Decimal("20.00") - 2 * RATE
    assert payments.earnings_balance(bob) == payments.split(RATE)[0] * 2 == Decimal("5.60")
    assert list(ChatMessage.objects.filter(reading=reading).values_list("text", flat=True)) == [
        "Hello <b>Bob</b>",
        "Welcome, dear",
    ]
    review = Review.objects.get(reading=reading)
    assert review.rating == 5 and review.comment == "Spot on!"
    bob.reader_profile.refresh_from_db()
    assert bob.reader_profile.review_count == 1 and bob.reader_profile.rating_average == Decimal("5.00")
    assert bob.reader_profile.availability == "online"
    verify_ledger()


def test_video_reading_end_to_end(browser, people):
    alice, bob = people
    with daphne() as (url,):
        reading = run_video_reading(browser, url, url, alice, bob)
    assert_two_minutes_settled(reading, alice, bob)


@pytest.mark.skipif(
    not os.environ.get("REDIS_URL"),
    reason="needs REDIS_URL: two daphne processes only share groups through Redis (the in-memory layer is per process)",
)
def test_video_reading_across_two_daphne_processes(browser, people):
    alice, bob = people
    with daphne(count=2) as (client_url, reader_url):
        reading = run_video_reading(browser, client_url, reader_url, alice, bob)
    assert_two_minutes_settled(reading, alice, bob)
