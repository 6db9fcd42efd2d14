"""Private messages: who may write to whom, blocking, rate limits, unread counts, live pushes, emails."""

from datetime import timedelta
from decimal import Decimal

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.db import transaction
from django.utils import timezone

from community.models import Conversation, Message, Notification
from community.services import messages
from community.services.messages import Blocked
from community.services.notifications import user_group
from community.services.rules import CommunityError, NotAllowed, RateLimited
from readings.models import Reading


def test_a_client_writes_to_any_reader(alice, bob):
    message = messages.send_message(alice, bob, "Hello Bob, do you read tarot?")
    conversation = message.conversation
    assert (conversation.client, conversation.reader) == (alice, bob)
    assert message.sender == alice and message.recipient == bob and message.price is None
    assert messages.unread_count(bob) == 1 and messages.unread_count(alice) == 0
    note = Notification.objects.get(user=bob)
    assert note.kind == "new_message" and note.url == f"/messages/{conversation.pk}/"
    messages.send_message(alice, bob, "Second message")
    assert Conversation.objects.count() == 1  # one conversation per pair


def test_messages_only_go_between_a_client_and_a_reader(alice, dave, bob, nina, carol):
    for sender, recipient in [(alice, dave), (bob, nina), (carol, bob), (alice, carol), (alice, alice)]:
        with pytest.raises(NotAllowed, match="between a client and a reader"):
            messages.send_message(sender, recipient, "Hello")
    assert not Message.objects.exists()


def test_a_reader_writes_first_only_to_clients_who_wrote_or_had_a_reading(alice, dave, bob):
    with pytest.raises(NotAllowed, match="wrote to them or had a reading"):
        messages.send_message(bob, alice, "Would you like a reading?")
    messages.send_message(alice, bob, "Hi!")
    messages.send_message(bob, alice, "Hello, Alice!")  # answering is fine
    # Had a reading: the reader may start the conversation.
    now = timezone.now()
    Reading.objects.create(
        client=dave, reader=bob, type="chat", rate=Decimal("2.00"), status="ended", requested_at=now, started_at=now
    )
    messages.send_message(bob, dave, "Thank you for the reading yesterday.")
    assert Conversation.objects.count() == 2


def test_a_request_that_never_started_is_not_a_reading(alice, bob):
    Reading.objects.create(
        client=alice, reader=bob, type="chat", rate=Decimal("2.00"), status="declined", requested_at=timezone.now()
    )
    with pytest.raises(NotAllowed):
        messages.send_message(bob, alice, "Hello")


def test_a_blocked_member_cannot_write_to_the_blocker(alice, bob):
    messages.send_message(alice, bob, "Hi")
    messages.block(bob, alice)
    with pytest.raises(Blocked, match="does not accept messages from you"):
        messages.send_message(alice, bob, "Why no answer?")
    with pytest.raises(Blocked, match="You blocked"):
        messages.send_message(bob, alice, "One last thing")
    assert messages.may_write(alice, bob) == (False, "Bob the Seer does not accept messages from you.")
    messages.block(bob, alice)  # idempotent
    messages.unblock(bob, alice)
    messages.send_message(alice, bob, "Thanks for unblocking")
    assert Message.objects.count() == 2


def test_blocking_yourself_or_staff_is_refused(alice, carol):
    with pytest.raises(CommunityError):
        messages.block(alice, alice)
    with pytest.raises(NotAllowed):
        messages.block(alice, carol)


def test_messages_are_rate_limited(alice, bob, settings):
    settings.COMMUNITY_MESSAGES_PER_MINUTE = 3
    now = timezone.now()
    for n in range(3):
        messages.send_message(alice, bob, f"Message {n}", now=now + timedelta(seconds=n))
    with pytest.raises(RateLimited, match="at most 3 a minute"):
        messages.send_message(alice, bob, "One too many", now=now + timedelta(seconds=5))
    messages.send_message(alice, bob, "Later", now=now + timedelta(seconds=65))


@pytest.mark.parametrize("body", ["", "   ", "nul\x00", "x" * 5001])
def test_empty_huge_or_nul_messages_are_refused(alice, bob, body):
    with pytest.raises(CommunityError):
        messages.send_message(alice, bob, body)
    assert not Message.objects.exists()


def test_only_readers_send_paid_replies_within_the_price_range(alice, bob):
    messages.send_message(alice, bob, "A question")
    with pytest.raises(NotAllowed, match="Only readers"):
        messages.send_message(alice, bob, "Pay me", price=Decimal("5.00"))
    for price, error in [("0.50", "from \\$1.00 to \\$100.00"), ("100.01", "from"), ("5.001", "two decimals")]:
        with pytest.raises(CommunityError, match=error):
            messages.send_message(bob, alice, "Answer", price=Decimal(price))
    paid = messages.send_message(bob, alice, "The full answer", price=Decimal("100.00"), teaser="Your answer")
    assert paid.price == Decimal("100.00") and paid.is_locked and paid.teaser == "Your answer"
    note = Notification.objects.get(user=alice, kind="paid_reply")
    assert "$100.00" in note.text and "Your answer" in note.text and "The full answer" not in note.text


def test_the_database_refuses_a_price_above_100(alice, bob):
    from django.db import IntegrityError

    conversation = Conversation.objects.create(client=alice, reader=bob)
    with pytest.raises(IntegrityError), transaction.atomic():
        Message.objects.create(
            conversation=conversation, sender=bob, recipient=alice, body="x", price=Decimal("100.01")
        )


def test_the_preview_is_the_teaser_or_the_start_of_the_body(alice, bob, settings):
    settings.COMMUNITY_PAID_PREVIEW_CHARS = 10
    messages.send_message(alice, bob, "Hi")
    with_teaser = messages.send_message(bob, alice, "Secret body", price=Decimal("2.00"), teaser="A teaser")
    without = messages.send_message(bob, alice, "The cards say a journey is near", price=Decimal("2.00"))
    assert messages.preview(with_teaser) == "A teaser"
    assert messages.preview(without) == "The cards…"
    short = messages.send_message(bob, alice, "Yes, he will.", price=Decimal("2.00"))
    assert messages.preview(short) == "Yes, h…"  # never more than half of the reply


def test_reading_a_conversation_marks_it_read(alice, bob):
    first = messages.send_message(alice, bob, "One")
    messages.send_message(alice, bob, "Two")
    assert messages.unread_count(bob) == 2
    assert messages.mark_read(alice, first.conversation) == 0  # the sender's own messages are not "unread"
    assert messages.mark_read(bob, first.conversation) == 2
    assert messages.unread_count(bob) == 0
    listed = messages.conversations_for(bob).get()
    assert listed.unread == 0 and listed.last_body == "Two" and listed.last_sender == alice.pk


def test_conversations_list_unread_counts_per_conversation(alice, dave, bob, nina):
    messages.send_message(alice, bob, "To Bob 1")
    messages.send_message(alice, bob, "To Bob 2")
    messages.send_message(alice, nina, "To Nina")
    messages.send_message(dave, bob, "Dave to Bob")
    by_partner = {c.client_id: c.unread for c in messages.conversations_for(bob)}
    assert by_partner == {alice.pk: 2, dave.pk: 1}
    assert [c.unread for c in messages.conversations_for(alice)] == [0, 0]


@pytest.mark.django_db(transaction=True)
async def test_the_recipient_hears_the_new_unread_count_live(alice, bob):
    layer = get_channel_layer()
    channel = await layer.new_channel()
    await layer.group_add(user_group(bob.pk), channel)
    # database_sync_to_async closes the worker thread's connection after (the test database can be dropped).
    message = await database_sync_to_async(messages.send_message)(alice, bob, "Hello")
    payloads = [(await layer.receive(channel))["payload"] for _ in range(2)]  # the bell, then the messages count
    counts = [p for p in payloads if p["kind"] == "messages"]
    assert counts == [{"kind": "messages", "unread": 1, "conversation": message.conversation_id}]


def test_nothing_is_pushed_before_commit_or_after_a_rollback(alice, bob, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        messages.send_message(alice, bob, "Hello")
    assert len(callbacks) == 2  # the bell and the messages badge, both waiting for the commit

    class Boom(Exception):
        pass

    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(Boom), transaction.atomic():
        messages.send_message(alice, bob, "Rolled back")
        raise Boom
    assert callbacks == []
    assert Message.objects.count() == 1


@pytest.mark.django_db(transaction=True)  # the task worker closes the connection
def test_email_when_away_at_most_once_per_conversation_per_hour(alice, bob, dave, mailoutbox, run_tasks):
    messages.send_message(alice, bob, "One")
    messages.send_message(alice, bob, "Two")
    messages.send_message(alice, bob, "Three")
    run_tasks()
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["bob@example.com"]
    conversation = Conversation.objects.get()
    assert f"/messages/{conversation.pk}/" in mailoutbox[0].body
    messages.send_message(dave, bob, "Another conversation emails on its own")
    run_tasks()
    assert len(mailoutbox) == 2
    # An hour later the first conversation may email again.
    Notification.objects.filter(email_key=f"conversation:{conversation.pk}").update(
        emailed_at=timezone.now() - timedelta(minutes=61)
    )
    messages.send_message(alice, bob, "Four")
    run_tasks()
    assert len(mailoutbox) == 3


@pytest.mark.django_db(transaction=True)
def test_no_email_while_the_recipient_has_a_page_open(alice, bob, mailoutbox, run_tasks):
    from accounts.services import page_opened

    page_opened(bob, "specific.bob!1")
    messages.send_message(alice, bob, "Hello")
    run_tasks()
    assert mailoutbox == []
