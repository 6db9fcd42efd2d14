"""The community end to end in headless Chromium against a real daphne: a question in "Ask a Reader"
answered by a reader; a private message answered with a $5 paid reply that the client sees arrive
live (the nav badge), opens and pays (70/30 in the ledger); a third member reports the thread and
staff hide it from the moderation queue. A second test shows hostile text stays inert in the browser."""

import re
from decimal import Decimal

import pytest
from django.core.management import call_command

from community.models import Message, Post, Thread, Visibility
from community.tests.conftest import fund
from payments import services as payments
from payments.models import Movement
from readings.tests.e2e_support import daphne, login, verified

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TIMEOUT = 30_000


@pytest.fixture
def people(categories, alice, bob, carol, dave):
    for person in (alice, bob, carol, dave):
        verified(person)
    fund(alice, "20.00")
    return alice, bob, carol, dave


def page_for(browser, base_url: str, email: str, *, width: int = 1280):
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT)
    login(page, base_url, email)
    return context, page


def socket_open(page) -> None:
    page.wait_for_function("() => window.soulseerNotifications && window.soulseerNotifications.readyState === 1")


def test_forum_messages_paid_reply_and_moderation_end_to_end(browser, people):
    alice, bob, carol, dave = people
    contexts = []
    with daphne() as (url,):
        try:
            client_ctx, client = page_for(browser, url, alice.email)
            reader_ctx, reader = page_for(browser, url, bob.email)
            contexts += [client_ctx, reader_ctx]

            # The client asks a question in "Ask a Reader".
            client.goto(f"{url}/community/")
            client.click("[data-category=ask-a-reader]")
            client.click("#new-thread")
            client.fill("input[name=title]", "Will my new job bring me joy?")
            client.fill("textarea[name=body]", "I start next month.\nAny guidance from the readers here?")
            client.click("#thread-form button[type=submit]")
            client.wait_for_url(re.compile(r"/community/thread/\d+/$"))
            thread_url = client.url
            assert "Will my new job bring me joy?" in client.inner_text("#thread-title")

            # A reader replies; the reply carries the reader badge.
            reader.goto(f"{url}/community/ask-a-reader/")
            reader.click("text=Will my new job bring me joy?")
            reader.fill("#reply-form textarea[name=body]", "The Sun card says yes: warmth and success.")
            reader.click("#reply-form button[type=submit]")
            reply = reader.locator("[data-post]", has_text="The Sun card says yes")
            reply.wait_for()
            assert reply.locator("[data-reader-badge]").count() == 1

            # The client writes to the reader privately from the reader's profile.
            client.goto(f"{url}/readers/{bob.reader_profile.slug}/")
            client.click("#message-reader")
            client.fill("textarea[name=body]", "Could you look deeper into my new job, privately?")
            client.click("#send-message")
            client.wait_for_url(re.compile(r"/messages/\d+/"))
            # … then waits on another page, with no unread message.
            client.goto(f"{url}/community/")
            socket_open(client)
            badge = client.locator("nav[aria-label=Main] [data-messages-unread]")
            assert badge.is_hidden()

            # The reader answers with a paid reply of $5.
            reader.goto(f"{url}/messages/")
            reader.click(f"[data-conversation] >> text={alice.public_name}")
            reader.fill("textarea[name=body]", "Your job: the Three of Pentacles. Teamwork brings you recognition.")
            reader.check("input[name=paid]")
            reader.fill("input[name=price]", "5")
            reader.fill("input[name=teaser]", "What the cards say about your new team")
            reader.click("#send-message")
            reader.locator("text=Waiting for the client to open it").wait_for()
            socket_open(reader)

            # The client sees the unread count rise live, without reloading.
            client.wait_for_function(
                """() => { const b = document.querySelector('nav[aria-label=Main] [data-messages-unread]');
                           return b && !b.hidden && b.textContent.trim() === '1'; }"""
            )
            client.click("nav[aria-label=Main] a[href='/messages/']")
            client.click(f"[data-conversation] >> text={bob.public_name}")
            client.locator("text=What the cards say about your new team").wait_for()
            assert "Three of Pentacles" not in client.content()  # not sent before payment
            client.click("[data-open-button]")
            client.locator("[data-message-body]", has_text="Three of Pentacles").wait_for()
            assert "Paid reply opened: $5.00" in client.inner_text("#messages")

            # The reader's open conversation shows the client's thanks live (htmx refresh on the push).
            client.fill("textarea[name=body]", "Thank you, Bob!")
            client.click("#send-message")
            reader.locator("[data-message-body]", has_text="Thank you, Bob!").wait_for()

            # A third member reports the thread; staff hide it from the moderation queue.
            member_ctx, member = page_for(browser, url, dave.email)
            staff_ctx, staff = page_for(browser, url, carol.email)
            contexts += [member_ctx, staff_ctx]
            member.goto(thread_url)
            member.locator("[data-post]").first.locator("[data-flag-link]").click()
            member.check("input[name=reason][value=spam]")
            member.fill("textarea[name=note]", "Looks like an advert to me")
            member.click("#flag-form button[type=submit]")
            member.locator("text=Staff will review this post").wait_for()

            staff.goto(f"{url}/staff/")
            staff.click("#moderation-link")
            queued = staff.locator("[data-queue-post]", has_text="Will my new job bring me joy?")
            queued.wait_for()
            assert "Looks like an advert to me" in queued.inner_text()
            queued.locator("input[name=reason]").fill("Reviewed: hidden while we check")
            queued.locator("button[value=hide]").click()
            staff.locator("text=The post is hidden").wait_for()
            assert staff.locator("[data-queue-post]").count() == 0

            response = member.goto(thread_url)
            assert response.status == 404
        finally:
            for context in contexts:
                context.close()

    # The ledger moved $5.00 as $3.50 to the reader and $1.50 to the platform, and is consistent.
    paid = Message.objects.get(price__isnull=False)
    assert paid.paid_at is not None and paid.price == Decimal("5.00")
    movement = Movement.objects.get(key=f"message:{paid.pk}")
    assert movement.amount == Decimal("5.00") and movement.client == alice and movement.reader == bob
    assert sorted(e.amount for e in movement.entries.all()) == [Decimal("-5.00"), Decimal("1.50"), Decimal("3.50")]
    assert payments.balance(alice) == Decimal("15.00") and payments.earnings_balance(bob) == Decimal("3.50")
    assert Movement.objects.filter(kind=Movement.Kind.CHARGE).count() == 1
    call_command("verify_ledger")
    thread = Thread.objects.get()
    assert thread.status == Visibility.HIDDEN
    assert Post.objects.get(thread=thread, is_opening=True).flags.get().resolved_by == carol


def test_hostile_text_stays_inert_in_the_browser(browser, people):
    alice, bob, carol, dave = people
    with daphne() as (url,):
        context, page = page_for(browser, url, alice.email, width=375)
        try:
            page.goto(f"{url}/community/general/new/")
            page.fill("input[name=title]", "<img src=x onerror=window.pwned=1> hello")
            page.fill(
                "textarea[name=body]",
                "<script>window.pwned=1</script>\n"
                '<a href="javascript:window.pwned=1" id="evil">click</a>\n'
                "javascript:window.pwned=1\n" + "a" * 400 + "\nhttps://soulseer.example/safe",
            )
            page.click("#thread-form button[type=submit]")
            page.wait_for_url(re.compile(r"/community/thread/\d+/$"))
            body = page.locator("[data-post-body]").first
            assert "<script>window.pwned=1</script>" in body.inner_text()
            assert page.evaluate("() => window.pwned") is None
            assert page.locator("#evil").count() == 0
            assert page.locator("[data-post-body] a[href^='javascript']").count() == 0
            assert page.locator("[data-post-body] a[href='https://soulseer.example/safe']").count() == 1
            # A 400-letter word wraps: nothing is wider than the phone's screen.
            assert page.evaluate("() => document.documentElement.scrollWidth") <= 375
        finally:
            context.close()
