"""A whole live stream in headless Chromium against a REAL Janus (started here, its own config and ports).

The reader goes live from the studio with Chromium's fake camera; three viewers (two clients and an
anonymous visitor) watch the video through Janus; one sends a Rose; everybody sees it land; the ledger
moved $10.00 as $7.00 / $3.00; the viewer count reads 3; the reader ends the stream and the viewers
are told. Never skipped: scripts/test.sh installs Debian's janus like it installs chromium.
"""

import re
from decimal import Decimal

import pytest

from payments import services as payments
from payments.models import Account, Entry, Movement
from readings.tests.e2e_support import daphne, login, verified
from readings.tests.helpers import verify_ledger
from streams.models import Gift, Stream
from streams.tests.helpers import client_user
from streams.tests.janus_support import janus_env, running_janus

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TIMEOUT = 45_000


def video_playing(page, selector: str = "#stream-video") -> None:
    page.wait_for_function(
        f"""() => {{ const v = document.querySelector('{selector}');
                   return v && v.videoWidth > 0 && !v.paused && v.readyState >= 2; }}""",
        timeout=TIMEOUT,
    )


def watch_gifts(page) -> None:
    """Record every gift animation that appears (they vanish after a few seconds)."""
    page.evaluate(
        """() => { window.seenGifts = [];
                   new MutationObserver(ms => ms.forEach(m => m.addedNodes.forEach(n => {
                       if (n.dataset && n.dataset.giftShown) window.seenGifts.push(
                           n.dataset.giftShown + '|' + n.textContent.trim());
                   }))).observe(document.getElementById('gift-stage'), {childList: true}); }"""
    )


def test_live_stream_through_janus(browser, bob):
    verified(bob)
    alice = verified(client_user("alice@example.com", "Alice", funds="25.00"))
    alice.client_profile.share_name = True
    alice.client_profile.save()
    dave = verified(client_user("dave@example.com", "Dave", funds="5.00"))

    with running_janus() as janus, daphne(janus_env(janus)) as (url,):
        contexts = [browser.new_context() for _ in range(4)]
        try:
            reader, v_alice, v_dave, v_anon = (ctx.new_page() for ctx in contexts)
            for page in (reader, v_alice, v_dave, v_anon):
                page.set_default_timeout(TIMEOUT)

            # The reader goes live from the dashboard: studio, camera preview, title, go live.
            login(reader, url, bob.email)
            reader.goto(f"{url}/dashboard/reader/")
            reader.click("[data-studio-link]")
            reader.wait_for_url(re.compile(r"/live/studio/$"))
            video_playing(reader, "#preview")  # the fake camera shows in the preview
            assert reader.locator("#video-unavailable").count() == 0
            reader.fill("#id_title", "Full moon tarot")
            reader.select_option("#id_category", "tarot")
            reader.click("#go-live")
            reader.wait_for_selector("#stream-room[data-role=publisher]")
            reader.wait_for_function(
                "() => document.getElementById('video-status').textContent.includes('You are live')"
            )
            stream = Stream.objects.get(reader=bob, status="live")
            assert stream.janus_url == janus.url and stream.room_secret
            assert stream.room_secret not in reader.content()  # never sent to a browser

            # Three viewers find the stream on /live/ and watch it through Janus.
            login(v_alice, url, alice.email)
            login(v_dave, url, dave.email)
            for page in (v_alice, v_dave, v_anon):
                page.goto(f"{url}/live/")
                page.click(f"[data-stream='{stream.pk}'] a")
                page.wait_for_url(re.compile(rf"/live/{stream.pk}/$"))
                assert stream.room_secret not in page.content()
            for page in (v_alice, v_dave, v_anon):
                video_playing(page)

            # The viewer count reads 3 everywhere (the reader is not a viewer).
            for page in (reader, v_alice, v_dave, v_anon):
                page.wait_for_function("() => document.getElementById('viewer-count').textContent.trim() === '3'")

            # Chat: shown as text, never HTML; the visitor cannot chat.
            v_dave.fill("#chat-input", "Hello <b>Bob</b>")
            v_dave.click("#chat-send")
            for page in (reader, v_alice, v_anon):
                page.locator("#chat-log .chat-text", has_text="Hello <b>Bob</b>").wait_for()
            assert v_alice.locator("#chat-log b").count() == 0
            assert v_anon.locator("#chat-input").count() == 0

            # Dave has $5: the Rose ($10) is disabled with a reason and a top-up link.
            assert v_dave.locator("[data-gift=rose]").is_disabled()
            assert v_dave.locator("#gift-reason a[href='/wallet/']").count() == 1
            assert v_anon.locator("[data-gift=rose]").is_disabled()

            # Alice sends a Rose; everybody sees it land with her name.
            for page in (reader, v_alice, v_dave, v_anon):
                watch_gifts(page)
            v_alice.click("[data-gift=rose]")
            for page in (reader, v_alice, v_dave, v_anon):
                page.wait_for_function("() => window.seenGifts.some(g => g.startsWith('rose|Alice sent a Rose'))")
                page.wait_for_function("() => document.getElementById('gift-total').textContent === '$10.00'")
                assert "Alice" in page.inner_text("#top-gifters")
            v_alice.wait_for_function("() => document.getElementById('gift-balance').textContent === '$15.00'")

            # The ledger moved $10.00: $7.00 to the reader, $3.00 to the platform.
            gift = Gift.objects.get(stream=stream)
            movement = Movement.objects.get(pk=gift.movement_id)
            assert movement.key == gift.key and movement.key.startswith("gift:")
            assert movement.amount == Decimal("10.00") and movement.reference == f"stream:{stream.pk}"
            legs = {e.account.kind: e.amount for e in Entry.objects.filter(movement=movement).select_related("account")}
            assert legs == {
                Account.Kind.WALLET: Decimal("-10.00"),
                Account.Kind.EARNINGS: Decimal("7.00"),
                Account.Kind.REVENUE: Decimal("3.00"),
            }
            assert payments.balance(alice) == Decimal("15.00")
            assert payments.earnings_balance(bob) == Decimal("7.00")

            # The reader ends the stream; every viewer is told, the video stops.
            reader.click("#end-stream")
            reader.wait_for_url(re.compile(rf"/live/{stream.pk}/summary/$"))
            for page in (v_alice, v_dave, v_anon):
                page.locator("#stream-ended").wait_for(state="visible")
                assert "ended" in page.inner_text("#stream-ended").lower()
                assert page.locator("[data-gift=heart]").is_disabled()
            assert reader.inner_text("#summary-gift-total") == "$10.00"
            assert reader.inner_text("#summary-share") == "$7.00"
            assert reader.inner_text("#summary-peak") == "3"
        finally:
            for ctx in contexts:
                ctx.close()

    stream.refresh_from_db()
    assert stream.status == Stream.Status.ENDED and stream.end_reason == Stream.EndReason.READER
    assert stream.gift_total == Decimal("10.00") and stream.gift_count == 1
    assert stream.peak_viewers == 3 and stream.total_viewers == 3
    verify_ledger()
