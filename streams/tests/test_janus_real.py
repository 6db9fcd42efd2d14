"""The server's Janus client against a real Janus (no browser): rooms, secrets, and a Janus that dies."""

import asyncio

import pytest
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser

from streams import janus, media, services
from streams.models import Stream
from streams.routing import websocket_urlpatterns
from streams.tests.janus_support import running_janus
from streams.tests.test_consumer import receive_until

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("fresh_channel_layer")]


@pytest.fixture
def real_janus(settings):
    with running_janus() as config:
        settings.JANUS_URLS = [config.url]
        settings.JANUS_API_SECRET = config.api_secret
        settings.JANUS_ADMIN_KEY = config.admin_key
        yield config


async def test_rooms_need_the_secrets(real_janus, settings):
    events = []
    session = await janus.gateway_for(real_janus.url).open(lambda kind, data: events.append(kind))
    await session.ensure_room(4242, "room-secret", "test room")
    await session.ensure_room(4242, "room-secret", "test room")  # exists: fine
    with pytest.raises(janus.MediaError, match="refused"):
        await session.subscribe(4242, "wrong-pin", 1)  # the room's PIN is its secret
    await session.destroy_room(4242, "room-secret")
    await session.close()
    # Without the API secret Janus refuses everything; without the admin key no room can be created.
    settings.JANUS_API_SECRET = "wrong"
    with pytest.raises(janus.MediaError, match="refused"):
        await janus.gateway_for(real_janus.url).open(lambda *a: None)
    settings.JANUS_API_SECRET = real_janus.api_secret
    settings.JANUS_ADMIN_KEY = "wrong"
    session = await janus.gateway_for(real_janus.url).open(lambda *a: None)
    with pytest.raises(janus.MediaError, match="refused"):
        await session.ensure_room(4343, "s", "no admin key")
    await session.close()
    assert await asyncio.to_thread(media.ping, real_janus.url)


async def test_a_janus_that_dies_ends_the_stream_cleanly(real_janus, bob, alice):
    stream = await database_sync_to_async(services.go_live)(bob, title="Doomed show", janus_urls=[real_janus.url])
    app = URLRouter(websocket_urlpatterns)
    reader = WebsocketCommunicator(app, f"/ws/streams/{stream.pk}/")
    reader.scope["user"] = bob
    viewer = WebsocketCommunicator(app, f"/ws/streams/{stream.pk}/")
    viewer.scope["user"] = AnonymousUser()
    assert (await reader.connect(timeout=5))[0] and (await viewer.connect(timeout=5))[0]
    await receive_until(reader, "hello")
    await receive_until(viewer, "hello")
    # The reader's page opens its Janus session (the room is created); a bogus offer is refused clearly.
    await reader.send_json_to({"type": "publish", "sdp": "v=0 not really"})
    error = await receive_until(reader, "video", timeout=15, state="error")
    assert "refused" in error["message"]
    # Janus dies: the reader's session hears it, the stream ends with a message, no ghost badge.
    real_janus.process.kill()
    for comm in (reader, viewer):
        ended = await receive_until(comm, "ended", timeout=20)
        assert ended["reason"] == "media" and "restarted" in ended["message"]
    stream = await database_sync_to_async(Stream.objects.get)(pk=stream.pk)
    assert stream.status == "ended" and stream.end_reason == "media"
    for comm in (reader, viewer):
        await comm.disconnect()
    # Nothing answers any more: the studio would say live video is unavailable.
    assert not await asyncio.to_thread(media.ping, real_janus.url)
