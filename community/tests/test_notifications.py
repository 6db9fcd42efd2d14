import pytest
from channels.layers import get_channel_layer

from community.models import Notification
from community.services import notifications
from community.services.notifications import mark_read, notify, unread_count

pytestmark = pytest.mark.django_db(transaction=True)


def test_notify_stores_and_counts_unread(alice, bob):
    notify(alice, "favourite_online", "Bob the Seer is online", "/readers/bob-the-seer/")
    notify(alice, "reading_missed", "You missed a request")
    notify(bob, "new_message", "Hello")
    assert unread_count(alice) == 2
    latest = Notification.objects.filter(user=alice).first()
    assert latest.text == "You missed a request"


def test_unknown_kind_is_refused_and_nothing_stored(alice):
    with pytest.raises(notifications.UnknownKind):
        notify(alice, "made_up", "x")
    assert not Notification.objects.exists()


def test_mark_read_only_touches_the_owners_notifications(alice, bob):
    mine = notify(alice, "new_message", "one")
    theirs = notify(bob, "new_message", "two")
    assert mark_read(alice, [mine.pk, theirs.pk]) == 1
    assert unread_count(alice) == 0
    assert unread_count(bob) == 1
    assert mark_read(bob) == 1


async def test_the_bell_hears_the_new_count_after_commit(alice):
    from asgiref.sync import sync_to_async

    layer = get_channel_layer()
    channel = await layer.new_channel()
    await layer.group_add(notifications.user_group(alice.pk), channel)
    await sync_to_async(notify)(alice, "paid_reply", "A paid reply waits", "/messages/1/")
    message = await layer.receive(channel)
    assert message["type"] == "notify"
    assert message["payload"]["kind"] == "notification"
    assert message["payload"]["unread"] == 1
    assert message["payload"]["text"] == "A paid reply waits"


def test_email_preference_defaults_on_and_can_be_switched_off(alice):
    assert notifications.email_wanted(alice, "new_message")
    notifications.set_email_preference(alice, "new_message", False)
    assert not notifications.email_wanted(alice, "new_message")
    assert notifications.email_wanted(alice, "paid_reply")


# --- email for people who are not on the site ---------------------------------------------------


def test_email_goes_to_someone_away_through_the_worker(alice, mailoutbox, run_tasks, settings):
    settings.SITE_URL = "https://soulseer.example"
    notify(alice, "new_message", "Bob the Seer wrote to you", "/messages/1/")
    assert mailoutbox == []  # queued, not sent inside the request
    run_tasks()
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["alice@example.com"]
    assert "https://soulseer.example/messages/1/" in mailoutbox[0].body


def test_no_email_while_the_person_has_a_page_open(alice, mailoutbox, run_tasks):
    from accounts.services import page_opened

    page_opened(alice, "specific.channel!1")
    notify(alice, "new_message", "Hello")
    run_tasks()
    assert mailoutbox == []


def test_closed_or_stale_pages_do_not_count_as_on_the_site(alice, mailoutbox, run_tasks):
    from datetime import timedelta

    from django.utils import timezone

    from accounts.services import page_closed, page_opened

    page_opened(alice, "closed.page")
    page_closed("closed.page")
    page_opened(alice, "dead.worker", now=timezone.now() - timedelta(minutes=5))
    notify(alice, "new_message", "Hello")
    run_tasks()
    assert len(mailoutbox) == 1


def test_emails_are_rate_limited_per_key(alice, mailoutbox, run_tasks):
    from datetime import timedelta

    for _ in range(3):
        notify(alice, "new_message", "one more", email_key="conversation:7", email_every=timedelta(hours=1))
    notify(alice, "new_message", "other conversation", email_key="conversation:8", email_every=timedelta(hours=1))
    run_tasks()
    assert sorted(m.subject for m in mailoutbox) == ["[SoulSeer] one more", "[SoulSeer] other conversation"]
    assert Notification.objects.filter(user=alice).count() == 4  # every one is in the centre


def test_a_kind_switched_off_is_not_emailed(alice, mailoutbox, run_tasks):
    notifications.set_email_preference(alice, "new_message", False)
    notify(alice, "new_message", "Hello")
    notify(alice, "paid_reply", "A paid reply waits")
    run_tasks()
    assert [m.subject for m in mailoutbox] == ["[SoulSeer] A paid reply waits"]


def test_a_rolled_back_notification_sends_nothing(alice, mailoutbox, run_tasks):
    from django.db import transaction

    with pytest.raises(RuntimeError), transaction.atomic():
        notify(alice, "new_message", "Hello")
        raise RuntimeError("the caller failed")
    run_tasks()
    assert mailoutbox == []
    assert not Notification.objects.exists()
