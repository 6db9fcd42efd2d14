"""The reading room socket with Channels' WebsocketCommunicator: who may connect, relay, chat, billing."""

import asyncio
import contextlib
from decimal import Decimal

import pytest
from channels.db import database_sync_to_async
from channels.layers import channel_layers
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator

from accounts.tests.factories import ReaderProfileFactory, UserFactory
from readings import services
from readings.models import ChatMessage, Reading
from readings.routing import websocket_urlpatterns
from readings.tests.helpers import fund

pytestmark = pytest.mark.django_db(transaction=True)

app = URLRouter(websocket_urlpatterns)


@pytest.fixture(autouse=True)
def _fast(settings):
    settings.SOULSEER_BILLING_MINUTE_SECONDS = 60.0
    settings.READINGS_HEARTBEAT_SECONDS = 0.2
    settings.READINGS_STALE_CONNECTION_SECONDS = 3.0


_opened: list[WebsocketCommunicator] = []


@pytest.fixture(autouse=True)
async def _fresh_channel_layer():
    """A new layer per test: each test has its own event loop, and channels-redis binds to one.

    Every communicator a test opened is disconnected afterwards, refused ones too: a refused
    consumer still waits on its channel, and a Redis receive cancelled at the loop's teardown
    can hang it."""
    channel_layers.backends.clear()
    yield
    while _opened:
        with contextlib.suppress(Exception):
            await _opened.pop().disconnect(timeout=2)
    channel_layers.backends.clear()


def _accepted(client, reader, reading_type="video") -> Reading:
    fund(client, "50.00")
    reading = services.request_reading(client, reader.reader_profile, reading_type)
    services.accept_reading(reading, reader)
    return reading


@pytest.fixture
def reading(alice, bob):
    return _accepted(alice, bob)


async def connect(user, reading_id):
    comm = WebsocketCommunicator(app, f"/ws/readings/{reading_id}/")
    _opened.append(comm)
    comm.scope["user"] = user
    connected, code = await comm.connect(timeout=5)
    return comm, connected, code


async def receive_until(comm, kind, timeout=5.0, **match):
    """Read messages until one of type ``kind`` (and matching ``match``) arrives; return it.

    Like a browser, it answers the server's beats on the way (a party who stops answering is away).
    """
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        left = deadline - asyncio.get_running_loop().time()
        if left <= 0:
            raise AssertionError(f"no {kind!r} message within {timeout} s")
        message = await comm.receive_json_from(timeout=left)
        if message.get("type") == "beat" and kind != "beat":
            await comm.send_json_to({"type": "beat"})
        if message.get("type") == kind and all(message.get(k) == v for k, v in match.items()):
            return message


async def drain(comm, wait=0.3):
    """Everything but beats that arrives until ``wait`` seconds pass with nothing else (a timeout inside
    receive_json_from would cancel the consumer, so this polls with receive_nothing). Beats are answered."""
    loop = asyncio.get_running_loop()
    messages, quiet_until = [], loop.time() + wait
    while loop.time() < quiet_until:
        if await comm.receive_nothing(timeout=0.05):
            continue
        message = await comm.receive_json_from()
        if message.get("type") == "beat":
            await comm.send_json_to({"type": "beat"})
        else:
            messages.append(message)
            quiet_until = loop.time() + wait
    return messages


@contextlib.asynccontextmanager
async def answering(comm):
    """A party whose messages the test does not read, but whose browser keeps answering beats."""

    async def pump():
        while True:
            if await comm.receive_nothing(timeout=0.05):
                continue
            message = await comm.receive_json_from()
            if message.get("type") == "beat":
                await comm.send_json_to({"type": "beat"})

    task = asyncio.ensure_future(pump())
    try:
        yield comm
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task


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


async def test_beats_charge_minutes_and_end_on_empty_balance(settings, alice, bob):
    """No sweeper here: the daphne's own beat pass charges each minute both parties answered."""
    settings.SOULSEER_BILLING_MINUTE_SECONDS = 0.5
    settings.READINGS_HEARTBEAT_SECONDS = 0.1
    reading = await database_sync_to_async(_accepted)(alice, bob, "chat")  # $50 at $2/min: 25 minutes
    client, _, _ = await connect(alice, reading.pk)
    reader, _, _ = await connect(bob, reading.pk)
    async with answering(reader):
        warning = await receive_until(client, "warning", timeout=30)
        assert "minute" in warning["message"]
        ended = await receive_until(client, "ended", timeout=15)
    assert ended["reason"] == "balance"
    assert ended["summary"]["minutes"] == 25
    assert "balance" in ended["message"]
    await client.disconnect()
    await reader.disconnect()


async def test_the_beat_pass_reaches_every_room_when_it_takes_several_slices(settings, monkeypatch, alice, bob):
    """No sweeper, and a settle slice of one room: both of this process's readings are still charged
    each minute their parties answered (a pass that stopped after its first slice would bill one)."""
    from readings import consumers

    monkeypatch.setattr(consumers, "SETTLE_SLICE", 1)
    settings.SOULSEER_BILLING_MINUTE_SECONDS = 0.5
    settings.READINGS_HEARTBEAT_SECONDS = 0.2
    other_client = await database_sync_to_async(UserFactory)()
    other_reader = (await database_sync_to_async(ReaderProfileFactory)()).user
    pairs = [(alice, bob), (other_client, other_reader)]
    readings = [await database_sync_to_async(_accepted)(client, reader, "chat") for client, reader in pairs]
    parties = []
    for reading, pair in zip(readings, pairs, strict=True):
        parties += [(await connect(user, reading.pk))[0] for user in pair]
    billed = database_sync_to_async(
        lambda: sorted(Reading.objects.filter(pk__in=[r.pk for r in readings]).values_list("billed_minutes", flat=True))
    )
    async with contextlib.AsyncExitStack() as stack:
        for comm in parties:
            await stack.enter_async_context(answering(comm))
        deadline = asyncio.get_running_loop().time() + 20
        while min(await billed()) < 3:
            assert asyncio.get_running_loop().time() < deadline, f"minutes billed: {await billed()}"
            await asyncio.sleep(0.1)
    for comm in parties:
        await comm.disconnect()


async def test_open_sockets_keep_beating_in_one_batch(settings, reading, alice, bob):
    from readings.models import ReadingConnection

    settings.READINGS_HEARTBEAT_SECONDS = 0.2
    client, _, _ = await connect(alice, reading.pk)
    reader, _, _ = await connect(bob, reading.pk)
    seen = database_sync_to_async(lambda: sorted(ReadingConnection.objects.values_list("seen_at", flat=True)))
    first = await seen()
    async with answering(client), answering(reader):
        await asyncio.sleep(1.0)
    later = await seen()
    assert len(later) == 2 and all(b > a for a, b in zip(first, later, strict=True))
    await client.disconnect()
    await reader.disconnect()
    assert await database_sync_to_async(ReadingConnection.objects.count)() == 0


# --- abuse and faults ------------------------------------------------------------------------


async def test_a_new_tab_replaces_the_old_one_without_pausing_billing(reading, alice, bob):
    from readings.models import ReadingConnection

    first, _, _ = await connect(alice, reading.pk)
    reader, _, _ = await connect(bob, reading.pk)
    await receive_until(first, "billing", minutes=1)
    second, ok, _ = await connect(alice, reading.pk)
    assert ok
    refused = await receive_until(first, "error")
    assert refused["code"] == "replaced" and "another tab" in refused["message"]
    assert (await first.receive_output(timeout=2)) == {"type": "websocket.close", "code": 4409}
    rows = await database_sync_to_async(lambda: list(ReadingConnection.objects.values_list("role", flat=True)))()
    assert sorted(rows) == ["client", "reader"]  # one socket per party
    row = await database_sync_to_async(Reading.objects.get)(pk=reading.pk)
    assert row.paused_at is None and row.status == "active"
    await second.disconnect()
    await reader.disconnect()


async def test_a_chat_flood_is_refused_and_the_socket_closed(settings, reading, alice, bob):
    settings.READINGS_CHAT_BURST = 5
    settings.READINGS_REFUSALS_BEFORE_CLOSE = 50
    client, _, _ = await connect(alice, reading.pk)
    await drain(client)
    for n in range(200):
        await client.send_json_to({"type": "chat", "text": f"spam {n}"})
    errors, closed = [], None
    while closed is None:
        output = await client.receive_output(timeout=5)
        if output["type"] == "websocket.close":
            closed = output["code"]
        elif '"error"' in output.get("text", ""):
            errors.append(output["text"])
    assert closed == 4429
    assert any("slow down" in e for e in errors)
    stored = await database_sync_to_async(ChatMessage.objects.count)()
    assert stored == 5  # the burst, not the flood


@pytest.mark.parametrize(
    "frame",
    ['{"type": "chat", "text": "a\\u0000b"}', '{"type": "chat", "text": "lone \\ud800 surrogate"}'],
    ids=["nul", "surrogate"],
)
async def test_unstorable_text_gets_a_clear_error_and_changes_nothing(reading, alice, bob, frame):
    client, _, _ = await connect(alice, reading.pk)
    await drain(client)
    await client.send_to(text_data=frame)
    error = await receive_until(client, "error")
    assert "NUL" in error["message"] or "Unicode" in error["message"]
    await client.send_json_to({"type": "chat", "text": "still here"})  # the socket survived
    assert (await receive_until(client, "chat"))["text"] == "still here"
    assert await database_sync_to_async(ChatMessage.objects.count)() == 1
    await client.disconnect()


async def test_a_consumer_that_crashes_releases_its_presence(reading, alice, bob, monkeypatch):
    """Any exception inside the consumer (here: a broken event handler) must not leave a live socket
    behind: the row goes, billing pauses, and the process forgets the channel."""
    from readings import consumers
    from readings.models import ReadingConnection

    client, _, _ = await connect(alice, reading.pk)
    reader, _, _ = await connect(bob, reading.pk)
    await receive_until(client, "billing", minutes=1)
    await drain(reader)

    async def broken(self, event):
        raise RuntimeError("boom")

    monkeypatch.setattr(consumers.ReadingConsumer, "reading_event", broken)
    await client.send_json_to({"type": "chat", "text": "hello"})  # its broadcast crashes both consumers
    with contextlib.suppress(RuntimeError):
        await client.wait(timeout=3)
    with contextlib.suppress(RuntimeError):
        await reader.wait(timeout=3)
    assert consumers._rooms == {}
    assert await database_sync_to_async(ReadingConnection.objects.count)() == 0
    row = await database_sync_to_async(Reading.objects.get)(pk=reading.pk)
    assert row.paused_at is not None


async def _through_the_site(path, *, origin, host="testserver", cookie=None):
    from soulseer.asgi import application

    headers = [(b"host", host.encode()), (b"origin", origin.encode())]
    if cookie:
        headers.append((b"cookie", cookie.encode()))
    comm = WebsocketCommunicator(application, path, headers=headers)
    connected, code = await comm.connect(timeout=5)
    await comm.disconnect()
    return connected, code


@pytest.mark.parametrize("path", ["/ws/readings/-1/", "/ws/readings/abc/", "/ws/nothing/", "/"])
async def test_a_bad_route_is_refused_at_the_handshake(settings, path):
    settings.ALLOWED_HOSTS = ["testserver"]
    connected, code = await _through_the_site(path, origin="http://testserver")
    assert not connected and code == 4404


async def test_the_origin_must_match_scheme_host_and_port(settings, alice):
    from django.test import Client

    settings.ALLOWED_HOSTS = ["localhost"]
    settings.CSRF_TRUSTED_ORIGINS = ["https://app.example"]
    web = Client()
    await database_sync_to_async(web.force_login)(alice)
    cookie = f"sessionid={web.cookies['sessionid'].value}"
    site = "localhost:8000"
    assert (await _through_the_site("/ws/notifications/", origin="http://localhost:8000", host=site, cookie=cookie))[0]
    assert (await _through_the_site("/ws/notifications/", origin="https://app.example", host=site, cookie=cookie))[0]
    for foreign in ("http://localhost:9999", "https://localhost:8000", "http://evil.example:8000", "null"):
        connected, _ = await _through_the_site("/ws/notifications/", origin=foreign, host=site, cookie=cookie)
        assert not connected, foreign
