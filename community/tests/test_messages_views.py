"""Message pages: the inbox, starting a conversation, sending, paid replies, blocking; bad input is a
400 or 404; a locked paid reply's body never reaches the client's page."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from community.models import Conversation, Message
from community.services import messages
from community.tests.conftest import fund
from payments import services as payments
from payments.models import Movement


@pytest.fixture
def conversation(alice, bob):
    return messages.send_message(alice, bob, "Hello Bob").conversation


def test_messages_need_an_account(client, conversation):
    for url in [reverse("messages:inbox"), conversation.get_absolute_url(), reverse("messages:new", args=[1])]:
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_inbox_lists_conversations_with_unread_counts(logged_in, conversation, alice, bob):
    messages.send_message(alice, bob, "Are you there?")
    html = logged_in(bob).get(reverse("messages:inbox")).content.decode()
    assert 'data-unread="2"' in html and alice.public_name in html and "Are you there?" in html
    assert re.search(r"data-messages-unread\s*>2</span>", html)  # the nav badge, shown


def test_a_client_starts_a_conversation_from_a_readers_profile(logged_in, alice, bob):
    client = logged_in(alice)
    profile = client.get(reverse("reader_detail", args=[bob.reader_profile.slug])).content.decode()
    start = reverse("messages:new", args=[bob.pk])
    assert start in profile
    assert client.get(start).status_code == 200
    response = client.post(start, {"body": "Hi Bob, a question about love."})
    conversation = Conversation.objects.get()
    assert response.status_code == 302 and response["Location"].startswith(conversation.get_absolute_url())
    assert client.get(start)["Location"] == conversation.get_absolute_url()  # there is one already


def test_who_may_not_write_sees_why(logged_in, alice, dave, bob):
    client = logged_in(alice)
    page = client.get(reverse("messages:new", args=[dave.pk]))
    assert "between a client and a reader" in page.content.decode() and 'id="message-form"' not in page.content.decode()
    refused = client.post(reverse("messages:new", args=[dave.pk]), {"body": "Hi Dave"})
    assert refused.status_code == 400
    reader = logged_in(bob)
    first = reader.get(reverse("messages:new", args=[alice.pk])).content.decode()
    assert "Readers can write to clients who wrote to them or had a reading with them" in first
    assert not Message.objects.exists()


def test_someone_elses_conversation_and_bad_ids_are_404s(logged_in, conversation, dave):
    client = logged_in(dave)
    assert client.get(conversation.get_absolute_url()).status_code == 404
    assert client.post(reverse("messages:send", args=[conversation.pk]), {"body": "x"}).status_code == 404
    assert client.get(reverse("messages:feed", args=[conversation.pk])).status_code == 404
    for url in [
        "/messages/999999999999999999/",
        "/messages/99999999999999999999999/",
        "/messages/new/0/",
        "/messages/x/",
    ]:
        assert client.get(url).status_code == 404, url
    assert not Message.objects.filter(sender=dave).exists()


def test_sending_in_a_conversation(logged_in, conversation, bob):
    client = logged_in(bob)
    url = reverse("messages:send", args=[conversation.pk])
    response = client.post(url, {"body": "Hello Alice, how can I help?"})
    assert response.status_code == 302
    for data, error in [
        ({"body": ""}, "This field is required"),
        ({"body": "a\x00b"}, "Null characters are not allowed"),
        ({"body": "x" * 5001}, "at most 5000 characters"),
    ]:
        bad = client.post(url, data)
        assert bad.status_code == 400 and error in bad.content.decode()
    assert Message.objects.filter(sender=bob).count() == 1


def test_a_reader_sends_a_paid_reply_and_the_client_sees_only_its_preview(logged_in, conversation, alice, bob):
    reader = logged_in(bob)
    url = reverse("messages:send", args=[conversation.pk])
    for data, error in [
        ({"body": "Answer", "paid": "on", "price": "150"}, "A paid reply costs from $1.00 to $100.00"),
        ({"body": "Answer", "paid": "on", "price": ""}, "Enter a price for the paid reply"),
        ({"body": "Answer", "paid": "on", "price": "abc"}, "Enter the price in dollars"),
        ({"body": "Answer", "paid": "on", "price": "0.50"}, "from $1.00"),
    ]:
        bad = reader.post(url, data)
        assert bad.status_code == 400 and error in bad.content.decode(), data
    reader.post(url, {"body": "The Empress: a season of growth.", "paid": "on", "price": "5", "teaser": "Your card"})
    paid = Message.objects.get(price__isnull=False)
    assert paid.price == Decimal("5.00")
    own = reader.get(conversation.get_absolute_url()).content.decode()
    assert "The Empress" in own and "Waiting for the client to open it" in own
    html = logged_in(alice).get(conversation.get_absolute_url()).content.decode()
    assert "Open for $5.00" in html and "Your card" in html
    assert "The Empress" not in html  # the body is not sent before payment
    assert "The Empress" not in logged_in(alice).get(reverse("messages:feed", args=[conversation.pk])).content.decode()


def test_a_client_cannot_send_a_paid_message(logged_in, conversation, alice):
    logged_in(alice).post(
        reverse("messages:send", args=[conversation.pk]), {"body": "Pay me", "paid": "on", "price": "5"}
    )
    assert Message.objects.filter(price__isnull=False).count() == 0


@pytest.fixture
def paid(conversation, alice, bob):
    return messages.send_message(bob, alice, "The Empress: a season of growth.", price=Decimal("5.00"))


def test_opening_a_paid_reply_in_one_click_charges_once(logged_in, paid, alice):
    fund(alice, "20.00")
    client = logged_in(alice)
    url = reverse("messages:open", args=[paid.conversation_id, paid.pk])
    first = client.post(url, follow=True)
    client.post(url)  # a double click
    html = first.content.decode()
    assert "Paid reply opened: $5.00" in html and "The Empress" in html
    assert Movement.objects.filter(key=f"message:{paid.pk}").count() == 1
    assert payments.balance(alice) == Decimal("15.00")


def test_a_short_wallet_gets_a_clear_message_and_a_top_up_link(logged_in, paid, alice):
    fund(alice, "2.00")
    response = logged_in(alice).post(reverse("messages:open", args=[paid.conversation_id, paid.pk]), follow=True)
    html = response.content.decode()
    assert "Not enough funds" in html
    assert f'href="{reverse("payments:topup")}"' in html and "Add funds to your wallet" in html
    assert "season of growth" not in html  # still locked: only the preview shows
    assert payments.balance(alice) == Decimal("2.00")


def test_only_the_client_of_the_conversation_opens(logged_in, paid, bob, dave):
    fund(dave, "20.00")
    assert logged_in(dave).post(reverse("messages:open", args=[paid.conversation_id, paid.pk])).status_code == 404
    refused = logged_in(bob).post(reverse("messages:open", args=[paid.conversation_id, paid.pk]), follow=True)
    assert "not addressed to you" in refused.content.decode()
    other = Conversation.objects.create(client=dave, reader=bob)
    assert logged_in(dave).post(reverse("messages:open", args=[other.pk, paid.pk])).status_code == 404
    assert not Movement.objects.filter(kind="charge").exists()


def test_the_feed_answers_204_when_nothing_is_new(logged_in, conversation, alice, bob):
    client = logged_in(bob)
    url = reverse("messages:feed", args=[conversation.pk])
    last = Message.objects.latest("pk").pk
    assert client.get(url, {"after": last}).status_code == 204
    messages.send_message(alice, bob, "Something new")
    fresh = client.get(url, {"after": last})
    assert fresh.status_code == 200 and "Something new" in fresh.content.decode()
    assert messages.unread_count(bob) == 0  # seen in the feed
    assert client.get(url, {"after": "junk\x00"}).status_code == 200


def test_opening_a_conversation_marks_it_read(logged_in, conversation, bob):
    assert messages.unread_count(bob) == 1
    logged_in(bob).get(conversation.get_absolute_url())
    assert messages.unread_count(bob) == 0


def test_blocking_from_the_conversation_page(logged_in, conversation, alice, bob):
    reader = logged_in(bob)
    reader.post(reverse("messages:block", args=[alice.pk]))
    page = logged_in(alice).get(conversation.get_absolute_url()).content.decode()
    assert 'id="cannot-write"' in page and "does not accept messages from you" in page
    refused = logged_in(alice).post(reverse("messages:send", args=[conversation.pk]), {"body": "Hello?"})
    assert refused.status_code == 400
    own = logged_in(bob).get(conversation.get_absolute_url()).content.decode()
    assert 'id="unblock"' in own and "You blocked" in own
    assert "People you blocked" in logged_in(bob).get(reverse("messages:inbox")).content.decode()
    logged_in(bob).post(reverse("messages:unblock", args=[alice.pk]))
    logged_in(alice).post(reverse("messages:send", args=[conversation.pk]), {"body": "Thank you"})
    assert Message.objects.filter(sender=alice).count() == 2
    assert logged_in(bob).post(reverse("messages:block", args=[999999999])).status_code == 404
    assert logged_in(bob).get(reverse("messages:block", args=[alice.pk])).status_code == 405


def test_a_reader_sees_clients_from_readings_to_write_to(logged_in, alice, bob):
    from django.utils import timezone

    from readings.models import Reading

    now = timezone.now()
    Reading.objects.create(
        client=alice, reader=bob, type="chat", rate=Decimal("2.00"), status="ended", requested_at=now, started_at=now
    )
    html = logged_in(bob).get(reverse("messages:inbox")).content.decode()
    assert reverse("messages:new", args=[alice.pk]) in html
    logged_in(bob).post(reverse("messages:new", args=[alice.pk]), {"body": "Thank you for the reading!"})
    assert Message.objects.get().recipient == alice
