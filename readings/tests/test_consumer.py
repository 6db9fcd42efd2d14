"""The reading room socket with Channels' WebsocketCommunicator: who may connect, relay, chat, billing."""

import asyncio
from decimal import Decimal

import pytest
from channels.db import database_sync_to_async
from channels.layers import channel_layers
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator

from accounts.tests.factories import UserFactory
from readings import services
from readings.models import ChatMessage, Reading
from readings.routing import websocket_urlpatterns
from readings.tests.helpers import fund

pytestmark = pytest.mark.django_db(transaction=True)

app = URLRouter(websocket_urlpatterns)


@pytest.fixture(autouse=True)
def _fast(settings):
    settings.SOULSEER_BILLING_MINUTE_SECONDS = 60.0
    settings.READINGS_TICK_SECONDS = 0.1


@pytest.fixture(autouse=True)
async def _fresh_channel_layer():
    """A new layer per test: each test has its own event loop, and channels-redis binds to one."""
    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


def _accepted(client, reader, reading_type="video") -> Reading:
    fund(client, "50.00")
    reading = services.request_reading(client, reader.reader_profile, reading_type)
    services.accept_reading(reading, reader)
    return reading


@pytest.fixture
def reading(alice, bob):
    return _accepted(alice, bob)


_opened: list[WebsocketCommunicator] = []


@pytest.fixture(autouse=True)
async def _disconnect_all():
    """Every communicator is disconnected, refused ones too: a refused consumer still waits on the channel
    layer, and with channels-redis an abandoned receive can hang the event loop's teardown."""
    yield
    while _opened:
        await _opened.pop().disconnect()


async def connect(user, reading_id):
    comm = WebsocketCommunicator(app, f"/ws/readings/{reading_id}/")
    comm.scope["user"] = user
    connected, code = await comm.connect(timeout=5)
    _opened.append(comm)
    return comm, connected, code


async def receive_until(comm, kind, timeout=5.0, **match):
    """Read messages until one of type ``kind`` (and matching ``match``) arrives; return it."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        left = deadline - asyncio.get_running_loop().time()
        if left <= 0:
            raise AssertionError(f"no {kind!r} message within {timeout} s")
        message = await comm.receive_json_from(timeout=left)
        if message.get("type") == kind and all(message.get(k) == v for k, v in match.items()):
            return message


async def drain(comm, wait=0.3):
    """Everything that arrives until ``wait`` seconds pass quietly (a timeout inside receive_json_from
    would cancel the consumer, so this uses receive_nothing)."""
    messages = []
    while not await comm.receive_nothing(timeout=wait):
        messages.append(await comm.receive_json_from())
    return messages


# --- who may connect ----------------------------------------------------------------------


async def test_stranger_is_refused(reading):
    stranger = await database_sync_to_async(UserFactory)()
    comm, connected, code = await connect(stranger, reading.pk)
    assert not connected and code == 4403


async def test_anonymous_is_refused(reading):
    from django.contrib.auth.models import AnonymousUser

    comm, connected, code = await connect(AnonymousUser(), reading.pk)
    assert not connected and code == 4401


async def test_party_of_another_reading_is_refused(reading, bob):
    from accounts.tests.factories import ReaderProfileFactory

    other_reader = await database_sync_to_async(ReaderProfileFactory)()
    dave = await database_sync_to_async(UserFactory)()
    other = await database_sync_to_async(_accepted)(dave, other_reader.user, "chat")
    # bob is the reader of `reading`, not of `other`
    comm, connected, code = await connect(bob, other.pk)
    assert not connected and code == 4403
    comm, connected, code = await connect(dave, reading.pk)
    assert not connected and code == 4403


async def test_ended_reading_is_refused(reading, alice):
    await database_sync_to_async(services.end_reading)(reading.pk, alice)
    comm, connected, code = await connect(alice, reading.pk)
    assert not connected and code == 4403


async def test_unanswered_request_is_refused(alice, bob):
    fund_ = database_sync_to_async(fund)
    await fund_(alice, "50.00")
    requested = await database_sync_to_async(services.request_reading)(alice, bob.reader_profile, "chat")
    comm, connected, code = await connect(alice, requested.pk)
    assert not connected and code == 4403


async def test_missing_reading_is_refused(alice):
    comm, connected, code = await connect(alice, 999999)
    assert not connected and code == 4403


# --- the room -----------------------------------------------------------------------------


async def test_billing_starts_when_both_connect_and_balance_goes_to_the_client_only(reading, alice, bob):
    client, ok, _ = await connect(alice, reading.pk)
    assert ok
    hello = await receive_until(client, "hello")
    assert hello["role"] == "client" and hello["peer_present"] is False
    reader, ok, _ = await connect(bob, reading.pk)
    assert ok
    assert (await receive_until(reader, "hello"))["peer_present"] is True
    await receive_until(client, "peer", event="joined", role="reader")
    started = await receive_until(client, "billing", minutes=1)
    assert started["client_balance"] == "46.00"
    assert started["cost"] == "4.00"
    reader_view = await receive_until(reader, "billing", minutes=1)
    assert "client_balance" not in reader_view
    row = await database_sync_to_async(Reading.objects.get)(pk=reading.pk)
    assert row.status == "active" and row.billed_minutes == 1
    await client.disconnect()
    await receive_until(reader, "peer", event="left", role="client")
    row = await database_sync_to_async(Reading.objects.get)(pk=reading.pk)
    assert row.paused_at is not None  # billing paused while the client is gone
    await reader.disconnect()


async def test_signals_go_to_the_other_party_only(reading, alice, bob):
    client, _, _ = await connect(alice, reading.pk)
    reader, _, _ = await connect(bob, reading.pk)
    await drain(client)
    await drain(reader)
    await client.send_json_to({"type": "signal", "kind": "offer", "data": {"type": "offer", "sdp": "v=0 offer"}})
    got = await receive_until(reader, "signal")
    assert got == {"type": "signal", "kind": "offer", "data": {"type": "offer", "sdp": "v=0 offer"}, "from": "client"}
    await reader.send_json_to({"type": "signal", "kind": "answer", "data": {"type": "answer", "sdp": "v=0 answer"}})
    assert (await receive_until(client, "signal"))["kind"] == "answer"
    candidate = {"candidate": "candidate:1 1 udp 1 127.0.0.1 5000 typ host", "sdpMid": "0", "sdpMLineIndex": 0}
    await client.send_json_to({"type": "signal", "kind": "ice", "data": candidate})
    assert (await receive_until(reader, "signal"))["data"] == candidate
    # never echoed back to the sender
    assert not [m for m in await drain(client) if m.get("type") == "signal"]
    assert not [m for m in await drain(reader) if m.get("type") == "signal"]
    await client.disconnect()
    await reader.disconnect()


async def test_bad_messages_are_refused(reading, alice, bob):
    client, _, _ = await connect(alice, reading.pk)
    await drain(client)
    for bad in (
        {"type": "signal", "kind": "hack", "data": {}},
        {"type": "signal", "kind": "offer", "data": "not a dict"},
        {"type": "signal", "kind": "offer", "data": {"sdp": 5}},
        {"type": "chat", "text": 5},
        {"type": "chat", "text": "x" * 2001},
        {"type": "nope"},
        ["not", "an", "object"],
    ):
        await client.send_json_to(bad)
        assert (await receive_until(client, "error"))["message"]
    await client.send_to(text_data="{not json")
    assert (await receive_until(client, "error"))["message"]
    await client.send_to(text_data="x" * (200 * 1024))
    assert (await receive_until(client, "error"))["message"]
    assert await database_sync_to_async(ChatMessage.objects.count)() == 0
    await client.disconnect()


async def test_chat_is_stored_and_relayed_verbatim(reading, alice, bob):
    client, _, _ = await connect(alice, reading.pk)
    reader, _, _ = await connect(bob, reading.pk)
    await drain(client)
    await drain(reader)
    evil = '<img src=x onerror="alert(1)"> & hi'
    await client.send_json_to({"type": "chat", "text": evil})
    for comm in (client, reader):
        msg = await receive_until(comm, "chat")
        assert msg["text"] == evil and msg["role"] == "client"  # the browser inserts it as text
    await reader.send_json_to({"type": "chat", "text": "Welcome"})
    assert (await receive_until(client, "chat"))["name"] == "Bob the Seer"
    lines = await database_sync_to_async(lambda: list(ChatMessage.objects.values_list("sender_id", "text")))()
    assert lines == [(alice.pk, evil), (bob.pk, "Welcome")]
    await client.disconnect()
    await reader.disconnect()


async def test_either_party_ends_and_both_get_the_summary(reading, alice, bob):
    client, _, _ = await connect(alice, reading.pk)
    reader, _, _ = await connect(bob, reading.pk)
    await receive_until(client, "billing", minutes=1)
    await reader.send_json_to({"type": "end"})
    for comm in (client, reader):
        ended = await receive_until(comm, "ended")
        assert ended["reason"] == "reader"
        assert ended["summary"]["minutes"] == 1
        assert ended["summary"]["total"] == "4.00"
        assert ended["summary"]["reader_share"] == "2.80"
        assert ended["url"] == f"/readings/{reading.pk}/summary/"
        assert (await comm.receive_output(timeout=2))["type"] == "websocket.close"
    row = await database_sync_to_async(Reading.objects.get)(pk=reading.pk)
    assert row.status == "ended" and row.total_charged == Decimal("4.00")


async def test_timer_charges_minutes_and_ends_on_empty_balance(settings, alice, bob):
    settings.SOULSEER_BILLING_MINUTE_SECONDS = 0.5
    reading = await database_sync_to_async(_accepted)(alice, bob, "chat")  # $50 at $2/min: 25 minutes
    client, _, _ = await connect(alice, reading.pk)
    reader, _, _ = await connect(bob, reading.pk)
    warning = await receive_until(client, "warning", timeout=20)
    assert "minute" in warning["message"]
    ended = await receive_until(client, "ended", timeout=10)
    assert ended["reason"] == "balance"
    assert ended["summary"]["minutes"] == 25
    assert "balance" in ended["message"]
    assert (await receive_until(reader, "ended"))["reason"] == "balance"
    await client.disconnect()
    await reader.disconnect()


async def test_open_sockets_keep_beating_in_one_batch(settings, reading, alice, bob):
    from readings.models import ReadingConnection

    settings.READINGS_HEARTBEAT_SECONDS = 0.2
    client, _, _ = await connect(alice, reading.pk)
    reader, _, _ = await connect(bob, reading.pk)
    first = await database_sync_to_async(lambda: sorted(ReadingConnection.objects.values_list("seen_at", flat=True)))()
    await asyncio.sleep(0.7)
    later = await database_sync_to_async(lambda: sorted(ReadingConnection.objects.values_list("seen_at", flat=True)))()
    assert len(later) == 2 and all(b > a for a, b in zip(first, later, strict=True))
    await client.disconnect()
    await reader.disconnect()
    assert await database_sync_to_async(ReadingConnection.objects.count)() == 0
