"""The notification centre's pages: the bell, the list, mark one/all read, settings; the favourite-online fan-out."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts import services as accounts_services
from accounts.models import ReaderProfile
from accounts.tests.factories import UserFactory
from community.models import Notification
from community.services import notifications
from community.services.notifications import notify, unread_count

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_bell_shows_the_unread_count(client, alice):
    notify(alice, "new_message", "one")
    notify(alice, "new_message", "two")
    client.force_login(alice)
    html = client.get(reverse("home")).content.decode()
    assert 'aria-label="Notifications, 2 unread"' in html
    assert reverse("notifications:list") in html


def test_list_is_newest_first_paginated_and_private(client, alice, bob):
    for n in range(25):
        notify(alice, "new_message", f"note {n:02d}")
    notify(bob, "new_message", "bob's own")
    client.force_login(alice)
    html = client.get(reverse("notifications:list")).content.decode()
    assert html.index("note 24") < html.index("note 23")
    assert "note 04" not in html and "Page 1 of 2" in html and "bob&#x27;s own" not in html
    assert "note 04" in client.get(reverse("notifications:list"), {"page": 2}).content.decode()


def test_mark_one_read_plain_and_with_htmx(client, alice, bob):
    first = notify(alice, "new_message", "first")
    second = notify(alice, "new_message", "second")
    theirs = notify(bob, "new_message", "theirs")
    client.force_login(alice)
    response = client.post(reverse("notifications:read", args=[first.pk]))
    assert response.status_code == 302 and unread_count(alice) == 1
    fragment = client.post(reverse("notifications:read", args=[second.pk]), headers={"HX-Request": "true"})
    assert 'data-read="true"' in fragment.content.decode() and "<html" not in fragment.content.decode()
    assert client.post(reverse("notifications:read", args=[theirs.pk])).status_code == 404
    assert unread_count(bob) == 1


def test_mark_all_read(client, alice):
    for n in range(3):
        notify(alice, "new_message", f"n{n}")
    client.force_login(alice)
    client.post(reverse("notifications:read_all"))
    assert unread_count(alice) == 0


def test_opening_a_notification_marks_it_read_and_follows_a_local_link_only(client, alice):
    local = notify(alice, "favourite_online", "Bob is online", "/readers/bob-the-seer/")
    outside = Notification.objects.create(user=alice, kind="new_message", text="x", url="https://evil.example/")
    client.force_login(alice)
    assert client.get(reverse("notifications:open", args=[local.pk])).url == "/readers/bob-the-seer/"
    assert client.get(reverse("notifications:open", args=[outside.pk])).url == reverse("notifications:list")
    assert unread_count(alice) == 0


def test_pages_need_a_login_and_reject_get_for_changes(client, alice):
    assert client.get(reverse("notifications:list")).status_code == 302
    client.force_login(alice)
    assert client.get(reverse("notifications:read_all")).status_code == 405


def test_settings_switch_each_kind(client, alice):
    client.force_login(alice)
    page = client.get(reverse("notifications:settings")).content.decode()
    for label in notifications.KINDS.values():
        assert label in page
    wanted = {kind: "on" for kind in notifications.KINDS if kind != "favourite_online"}
    client.post(reverse("notifications:settings"), wanted)
    assert not notifications.email_wanted(alice, "favourite_online")
    assert notifications.email_wanted(alice, "new_message")


# --- a favourite comes online ---------------------------------------------------------------------


@pytest.fixture
def fans(alice, bob):
    other = UserFactory(email="dora@example.com")
    accounts_services.add_favourite(alice, bob.reader_profile)
    accounts_services.add_favourite(other, bob.reader_profile)
    ReaderProfile.objects.filter(user=bob).update(availability="offline")
    return [alice, other]


def test_fans_are_told_when_a_favourite_comes_online(fans, bob, run_tasks, mailoutbox):
    profile = ReaderProfile.objects.get(user=bob)
    accounts_services.set_availability(profile, "online")
    assert not Notification.objects.exists()  # queued for the worker: going online stays fast
    run_tasks()
    told = Notification.objects.filter(kind="favourite_online")
    assert sorted(n.user.email for n in told) == ["alice@example.com", "dora@example.com"]
    assert all(n.url == "/readers/bob-the-seer/" and "Bob the Seer" in n.text for n in told)
    assert len(mailoutbox) == 2  # both away


def test_at_most_once_per_reader_per_fan_per_day(fans, alice, bob, run_tasks, mailoutbox):
    profile = ReaderProfile.objects.get(user=bob)
    for _ in range(3):
        accounts_services.set_availability(profile, "online")
        accounts_services.set_availability(profile, "offline")
        accounts_services.set_availability(profile, "online")
        run_tasks()
    assert Notification.objects.filter(user=alice, kind="favourite_online").count() == 1
    assert len(mailoutbox) == 2
    Notification.objects.update(created_at=timezone.now() - timedelta(days=1, minutes=1))
    Notification.objects.update(emailed_at=timezone.now() - timedelta(days=1, minutes=1))
    accounts_services.set_availability(profile, "offline")
    accounts_services.set_availability(profile, "online")
    run_tasks()
    assert Notification.objects.filter(user=alice, kind="favourite_online").count() == 2
    assert len(mailoutbox) == 4


def test_back_from_a_reading_is_not_coming_online(fans, bob, run_tasks):
    profile = ReaderProfile.objects.get(user=bob)
    accounts_services.set_availability(profile, "online")
    run_tasks()
    Notification.objects.all().delete()
    accounts_services.set_availability(profile, "busy")
    accounts_services.set_availability(profile, "online")
    run_tasks()
    assert not Notification.objects.exists()


def test_email_for_favourite_online_can_be_switched_off(fans, alice, bob, run_tasks, mailoutbox):
    notifications.set_email_preference(alice, "favourite_online", False)
    accounts_services.set_availability(ReaderProfile.objects.get(user=bob), "online")
    run_tasks()
    assert [m.to for m in mailoutbox] == [["dora@example.com"]]
    assert Notification.objects.filter(user=alice, kind="favourite_online").exists()
