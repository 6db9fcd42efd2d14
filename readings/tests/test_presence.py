"""Presence: a reader's badge goes live to every open page; closing every tab goes offline after a grace."""

import asyncio
from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator

from accounts import services as accounts_services
from accounts.models import PageConnection, ReaderProfile
from accounts.routing import websocket_urlpatterns
from readings import presence
from readings.tests.helpers import active_reading, at, fund

app = URLRouter(websocket_urlpatterns)

pytestmark = pytest.mark.usefixtures("fresh_channel_layer")


def availability(user) -> str:
    return ReaderProfile.objects.get(user=user).availability


@pytest.mark.django_db
def test_reader_with_an_open_tab_stays_online(bob, settings):
    settings.READINGS_PRESENCE_GRACE_SECONDS = 30
    PageConnection.objects.create(user=bob, channel_name="a", seen_at=at(0))
    assert presence.mark_gone_readers_offline(at(60)) == 0
    assert availability(bob) == "online"


@pytest.mark.django_db
def test_last_tab_closed_goes_offline_after_grace(bob, settings):
    settings.READINGS_PRESENCE_GRACE_SECONDS = 30
    PageConnection.objects.create(user=bob, channel_name="a", seen_at=at(0), closed=True)
    PageConnection.objects.create(user=bob, channel_name="b", seen_at=at(10), closed=True)
    assert presence.mark_gone_readers_offline(at(39)) == 0  # page b closed 29 s ago: may come back
    assert availability(bob) == "online"
    assert presence.mark_gone_readers_offline(at(41)) == 1
    assert availability(bob) == "offline"


@pytest.mark.django_db
def test_silent_tab_of_a_dead_worker_goes_stale(bob, settings):
    settings.READINGS_PRESENCE_GRACE_SECONDS = 30
    PageConnection.objects.create(user=bob, channel_name="a", seen_at=at(0))  # never closed, stopped beating
    assert presence.mark_gone_readers_offline(at(80)) == 0
    assert presence.mark_gone_readers_offline(at(120)) == 1


@pytest.mark.django_db
def test_readers_without_page_records_are_left_alone(bob):
    assert presence.mark_gone_readers_offline(at(10_000)) == 0
    assert availability(bob) == "online"


@pytest.mark.django_db
def test_reader_is_busy_during_a_reading_and_online_after(alice, bob):
    from readings import services

    fund(alice, "50.00")
    reading = active_reading(alice, bob)
    assert availability(bob) == "busy"
    services.end_reading(reading, alice, now=at(30))
    assert availability(bob) == "online"


@pytest.mark.django_db(transaction=True)
async def test_closing_every_tab_goes_offline_live(bob, alice, settings):
    settings.READINGS_PRESENCE_GRACE_SECONDS = 0
    watcher = WebsocketCommunicator(app, "/ws/notifications/")
    watcher.scope["user"] = alice
    assert (await watcher.connect())[0]
    tab = WebsocketCommunicator(app, "/ws/notifications/")
    tab.scope["user"] = bob
    assert (await tab.connect())[0]
    assert await database_sync_to_async(PageConnection.objects.filter(user=bob, closed=False).count)() == 1
    await tab.disconnect()
    await asyncio.sleep(1.6)  # the consumer's delayed check (grace + 1 s)
    assert await database_sync_to_async(availability)(bob) == "offline"
    profile = await database_sync_to_async(ReaderProfile.objects.get)(user=bob)
    message = await watcher.receive_json_from(timeout=3)
    assert message == {"kind": "presence", "profile": profile.pk, "availability": "offline"}
    await watcher.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_availability_changes_reach_every_open_page(alice, bob):
    page = WebsocketCommunicator(app, "/ws/notifications/")
    page.scope["user"] = alice
    assert (await page.connect())[0]
    profile = await database_sync_to_async(ReaderProfile.objects.get)(user=bob)
    await database_sync_to_async(accounts_services.set_availability)(profile, "busy")
    assert await page.receive_json_from(timeout=3) == {
        "kind": "presence",
        "profile": profile.pk,
        "availability": "busy",
    }
    await page.disconnect()


def test_grace_setting_is_short():
    from django.conf import settings

    assert timedelta(seconds=settings.READINGS_PRESENCE_GRACE_SECONDS) <= timedelta(minutes=2)
