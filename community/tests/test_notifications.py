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
