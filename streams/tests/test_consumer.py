"""The stream socket with Channels' WebsocketCommunicator and a fake Janus: who may publish and watch,
signalling isolation, chat limits, moderation, gifts, and Janus going away."""

import asyncio
import json
import uuid
from decimal import Decimal

import pytest
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser

from payments import services as payments
from streams import janus, services
from streams.models import Gift, Stream, StreamMessage
from streams.routing import websocket_urlpatterns
from streams.tests.fake_janus import FakeGateway
from streams.tests.helpers import client_user, fund

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("fresh_channel_layer")]

app = URLRouter(websocket_urlpatterns)


@pytest.fixture(autouse=True)
def _settings(settings):
    settings.STREAMS_HEARTBEAT_SECONDS = 3600
    settings.STREAMS_CHAT_BURST = 3
    settings.STREAMS_CHAT_INTERVAL_SECONDS = 60


@pytest.fixture
def gateway(monkeypatch):
    fake = FakeGateway()
    monkeypatch.setattr(janus, "gateway_for", lambda url: fake)
    return fake


@pytest.fixture
def stream(bob):
    return services.go_live(bob, title="Full moon tarot", janus_urls=["ws://janus-test"])


async def connect(user, stream_id):
    comm = WebsocketCommunicator(app, f"/ws/streams/{stream_id}/")
    comm.scope["user"] = user
    connected, code = await comm.connect(timeout=5)
    return comm, connected, code


async def receive_until(comm, kind, timeout=5.0, **match):
    """Read messages until one of type ``kind`` (matching ``match``) arrives; fail with what came instead."""
    deadline = asyncio.get_running_loop().time() + timeout
    skipped = []
    while True:
        left = deadline - asyncio.get_running_loop().time()
        if left <= 0 or await comm.receive_nothing(timeout=min(left, 0.1)) and left <= 0.1:
            raise AssertionError(f"no {kind!r} message within {timeout} s; received {skipped}")
        if comm.output_queue.empty():
            continue  # nothing yet (receive_nothing never cancels the consumer, unlike a timed-out receive)
        message = await comm.receive_json_from()
        if message.get("type") == kind and all(message.get(k) == v for k, v in match.items()):
            return message
        skipped.append(message)


async def drain(comm, wait=0.3):
    messages = []
    while not await comm.receive_nothing(timeout=wait):
        messages.append(await comm.receive_json_from())
    return messages


async def joined(user, stream_id):
    comm, connected, code = await connect(user, stream_id)
    assert connected, code
    hello = await receive_until(comm, "hello")
    return comm, hello


async def live_publisher(bob, stream, gateway):
    """The reader's studio socket, publishing, with Janus reporting the PeerConnection up."""
    reader, hello = await joined(bob, stream.pk)
    assert hello["role"] == "publisher"
    await reader.send_json_to({"type": "publish", "sdp": "reader-offer"})
    answer = await receive_until(reader, "answer")
    assert answer["sdp"] == "answer-to-reader-offer"
    await gateway.sessions[-1].emit("webrtcup")
    await receive_until(reader, "media", state="up")
    return reader


# --- who may connect, watch and publish ------------------------------------------------------------


async def test_anonymous_visitors_watch_but_cannot_chat_or_gift(stream, gateway):
    comm, hello = await joined(AnonymousUser(), stream.pk)
    assert hello["role"] == "viewer" and hello["user_id"] is None and hello["can_chat"] is False
    assert hello["video"] == {"available": True, "live": False}
    assert "secret" not in json.dumps(hello) and stream.room_secret not in json.dumps(hello)
    await comm.send_json_to({"type": "chat", "text": "hi"})
    assert "Log in" in (await receive_until(comm, "error"))["message"]
    await comm.send_json_to({"type": "gift", "gift": "heart", "key": str(uuid.uuid4())})
    assert "Log in" in (await receive_until(comm, "error"))["message"]
    await comm.disconnect()


async def test_unknown_stream_is_refused(db):
    comm, connected, code = await connect(AnonymousUser(), 999999)
    assert not connected and code == 4404


async def test_ended_stream_says_so_and_closes(stream, bob):
    await database_sync_to_async(services.end_stream)(stream.pk, bob)
    comm, connected, _ = await connect(AnonymousUser(), stream.pk)
    assert connected
    message = await receive_until(comm, "ended")
    assert message["summary_url"] == f"/live/{stream.pk}/summary/"
    assert (await comm.receive_output(timeout=2))["type"] == "websocket.close"
    await comm.disconnect()


async def test_banned_viewer_is_refused(stream, alice, bob):
    await database_sync_to_async(services.restrict)(bob, alice, "ban", bob)
    comm, connected, _ = await connect(alice, stream.pk)
    assert connected
    assert (await receive_until(comm, "error"))["code"] == "banned"
    assert (await comm.receive_output(timeout=2)) == {"type": "websocket.close", "code": 4403}
    await comm.disconnect()


async def test_only_the_reader_publishes(stream, alice, bob, carol, gateway):
    for user in (alice, carol, AnonymousUser()):
        comm, _ = await joined(user, stream.pk)
        await comm.send_json_to({"type": "publish", "sdp": "v=0 sneaky"})
        assert "Only the reader" in (await receive_until(comm, "error"))["message"]
        await comm.disconnect()
    assert gateway.sessions == []  # no viewer ever reached Janus as a publisher
    reader = await live_publisher(bob, stream, gateway)
    calls = gateway.sessions[0].calls
    assert calls[0] == ("ensure_room", stream.room_id, stream.room_secret)
    assert calls[1] == ("publish", stream.room_id, stream.publisher_feed, "reader-offer")
    assert await database_sync_to_async(lambda: Stream.objects.get(pk=stream.pk).publishing)()
    await reader.disconnect()
    assert gateway.sessions[0].closed  # the Janus session is torn down with the page
    assert not await database_sync_to_async(lambda: Stream.objects.get(pk=stream.pk).publishing)()


async def test_viewers_subscribe_when_the_video_goes_live(stream, alice, bob, gateway):
    viewer, hello = await joined(alice, stream.pk)
    await viewer.send_json_to({"type": "watch"})
    assert (await receive_until(viewer, "video"))["state"] == "off"  # nothing to watch yet
    reader = await live_publisher(bob, stream, gateway)
    assert (await receive_until(viewer, "video"))["state"] == "live"
    await viewer.send_json_to({"type": "watch"})
    offer = await receive_until(viewer, "offer")
    subscriber = gateway.sessions[-1]
    assert offer["sdp"] == f"offer-for-session-{subscriber.id}"
    assert subscriber.calls[0] == ("subscribe", stream.room_id, stream.publisher_feed)
    await viewer.send_json_to({"type": "answer", "sdp": "viewer-answer"})
    await viewer.send_json_to(
        {
            "type": "ice",
            "candidate": {
                "candidate": "candidate:1 1 udp 1 127.0.0.1 5000 typ host",
                "sdpMid": "0",
                "sdpMLineIndex": 0,
            },
        }
    )
    await viewer.send_json_to({"type": "ice", "candidate": None})
    await drain(viewer)
    assert ("start", "viewer-answer") in subscriber.calls
    assert ("trickle", None) in subscriber.calls
    # The reader's page closes: the video goes off for viewers and their subscription is torn down.
    await reader.disconnect()
    assert (await receive_until(viewer, "video"))["state"] == "off"
    assert subscriber.closed
    await viewer.disconnect()


async def test_a_viewer_never_receives_another_viewers_signalling(stream, alice, bob, gateway):
    dave = await database_sync_to_async(client_user)("dave@example.com")
    reader = await live_publisher(bob, stream, gateway)
    a, _ = await joined(alice, stream.pk)
    d, _ = await joined(dave, stream.pk)
    await a.send_json_to({"type": "watch"})
    offer_a = await receive_until(a, "offer")
    session_a = gateway.sessions[-1]
    await d.send_json_to({"type": "watch"})
    offer_d = await receive_until(d, "offer")
    session_d = gateway.sessions[-1]
    assert offer_a["sdp"] != offer_d["sdp"]
    # Janus trickles to A's handle; A's browser answers and trickles: none of it reaches D or the reader.
    await session_a.emit(
        "trickle",
        {"candidate": {"candidate": "candidate:9 1 udp 9 127.0.0.1 9 typ host", "sdpMid": "0", "sdpMLineIndex": 0}},
    )
    assert (await receive_until(a, "ice"))["candidate"]["candidate"].startswith("candidate:9")
    await a.send_json_to({"type": "answer", "sdp": "answer-from-a"})
    await a.send_json_to({"type": "ice", "candidate": {"candidate": "candidate:a", "sdpMid": "0"}})
    await drain(a)
    for other in (d, reader):
        seen = await drain(other)
        assert not [m for m in seen if m["type"] in ("offer", "answer", "ice")], seen
        assert offer_a["sdp"] not in json.dumps(seen)
    assert ("start", "answer-from-a") in session_a.calls and not any(c[0] == "start" for c in session_d.calls)
    assert not any(c[0] == "trickle" for c in session_d.calls)
    for comm in (a, d, reader):
        await comm.disconnect()


async def test_without_janus_chat_still_works(bob, alice, gateway):
    stream = await database_sync_to_async(services.go_live)(bob, title="Chat only", janus_urls=[])
    viewer, hello = await joined(alice, stream.pk)
    assert hello["video"]["available"] is False
    await viewer.send_json_to({"type": "watch"})
    assert "unavailable" in (await receive_until(viewer, "error"))["message"]
    await viewer.send_json_to({"type": "chat", "text": "still here"})
    assert (await receive_until(viewer, "chat"))["message"]["text"] == "still here"
    await viewer.disconnect()


async def test_unreachable_janus_is_a_clear_message(stream, bob, gateway):
    gateway.unreachable = True
    reader, _ = await joined(bob, stream.pk)
    await reader.send_json_to({"type": "publish", "sdp": "offer"})
    message = await receive_until(reader, "video", state="error")
    assert "unreachable" in message["message"]
    await reader.send_json_to({"type": "ping", "t": 1})
    assert (await receive_until(reader, "pong"))["t"] == 1  # the socket is still fine
    await reader.disconnect()


async def test_janus_restart_ends_the_stream_cleanly(stream, alice, bob, gateway):
    reader = await live_publisher(bob, stream, gateway)
    viewer, _ = await joined(alice, stream.pk)
    await gateway.sessions[0].emit("lost", {"reason": "The live video server went away."})
    for comm in (viewer, reader):
        ended = await receive_until(comm, "ended")
        assert ended["reason"] == "media" and "restarted" in ended["message"]
    stream = await database_sync_to_async(Stream.objects.get)(pk=stream.pk)
    assert stream.status == "ended" and not stream.publishing  # no ghost "live" badge
    for comm in (viewer, reader):
        await comm.disconnect()


async def test_viewer_counts_are_broadcast(stream, alice, bob, gateway):
    reader, hello = await joined(bob, stream.pk)
    assert hello["viewers"] == 0
    anon, _ = await joined(AnonymousUser(), stream.pk)
    assert (await receive_until(reader, "viewers"))["count"] == 1
    viewer, hello = await joined(alice, stream.pk)
    assert hello["viewers"] == 2
    assert (await receive_until(reader, "viewers"))["count"] == 2
    await viewer.disconnect()
    assert (await receive_until(reader, "viewers"))["count"] == 1
    await anon.disconnect()
    await reader.disconnect()


# --- chat -------------------------------------------------------------------------------------------


async def test_chat_limits_and_rate(stream, alice, bob, gateway):
    reader, _ = await joined(bob, stream.pk)
    viewer, _ = await joined(alice, stream.pk)
    await viewer.send_json_to({"type": "chat", "text": "<script>alert(1)</script>"})
    message = (await receive_until(reader, "chat"))["message"]
    assert message["text"] == "<script>alert(1)</script>"  # plain text; the page inserts it with textContent
    assert message["sender"] == alice.public_name and message["role"] == "viewer"
    for bad, error in (("x" * 501, "at most 500"), ("a\x00b", "NUL"), ("", "cannot be empty"), (None, "must be text")):
        await viewer.send_json_to({"type": "chat", "text": bad})
        assert error in (await receive_until(viewer, "error"))["message"]
    # a lone surrogate (invalid unicode) as the browser would encode it in JSON
    await viewer.send_to(text_data='{"type": "chat", "text": "bad \\ud800 text"}')
    assert "invalid characters" in (await receive_until(viewer, "error"))["message"]
    # the burst is 3 messages (the first one above counted), then one per interval
    for _ in range(2):
        await viewer.send_json_to({"type": "chat", "text": "hi"})
        await receive_until(viewer, "chat")
    await viewer.send_json_to({"type": "chat", "text": "too fast"})
    error = await receive_until(viewer, "error")
    assert error["code"] == "rate" and "too fast" in error["message"]
    assert await database_sync_to_async(StreamMessage.objects.count)() == 3
    await viewer.disconnect()
    await reader.disconnect()


async def test_bad_frames_get_clear_errors(stream, alice, gateway):
    viewer, _ = await joined(alice, stream.pk)
    for frame, error in (
        ("not json", "JSON"),
        ('"a string"', "Unknown message"),
        ('{"type": "fly"}', "Unknown message"),
        ("x" * 100_000, "too large"),
        ('{"type": "answer", "sdp": 5}', "Bad session description"),
        ('{"type": "ice", "candidate": {"candidate": 5}}', "Bad ICE candidate"),
        ('{"type": "delete", "id": "1"}', "Only the reader"),
    ):
        await viewer.send_to(text_data=frame)
        assert error in (await receive_until(viewer, "error"))["message"], frame
    await viewer.disconnect()


# --- moderation --------------------------------------------------------------------------------------


async def test_reader_deletes_mutes_and_bans(stream, alice, bob, gateway):
    dave = await database_sync_to_async(client_user)("dave@example.com")
    reader, _ = await joined(bob, stream.pk)
    a, _ = await joined(alice, stream.pk)
    d, _ = await joined(dave, stream.pk)
    await a.send_json_to({"type": "chat", "text": "rude words"})
    message_id = (await receive_until(reader, "chat"))["message"]["id"]
    # a viewer cannot moderate
    await d.send_json_to({"type": "delete", "id": message_id})
    assert "Only the reader" in (await receive_until(d, "error"))["message"]
    await d.send_json_to({"type": "restrict", "kind": "ban", "user_id": alice.pk})
    assert "Only the reader" in (await receive_until(d, "error"))["message"]
    # the reader deletes it: everyone's page drops it
    await reader.send_json_to({"type": "delete", "id": message_id})
    for comm in (a, d, reader):
        assert (await receive_until(comm, "chat_deleted"))["id"] == message_id
    # mute: alice can watch, not chat
    await reader.send_json_to({"type": "restrict", "kind": "mute", "user_id": alice.pk})
    assert "muted" in (await receive_until(a, "muted"))["message"]
    await a.send_json_to({"type": "chat", "text": "hello?"})
    assert "muted" in (await receive_until(a, "error"))["message"]
    # ban: alice's page is closed and she cannot come back
    await reader.send_json_to({"type": "restrict", "kind": "ban", "user_id": alice.pk})
    assert (await receive_until(a, "error"))["code"] == "banned"
    assert (await receive_until(reader, "restricted"))["user_id"] == alice.pk
    d_seen = await drain(d)
    assert not [m for m in d_seen if m["type"] == "restricted"]  # viewers do not hear who was banned
    again, connected, _ = await connect(alice, stream.pk)
    assert (await receive_until(again, "error"))["code"] == "banned"
    for comm in (a, again, d):
        await comm.disconnect()
    await reader.disconnect()


async def test_staff_can_moderate_and_end(stream, alice, carol, gateway):
    staff, hello = await joined(carol, stream.pk)
    assert hello["role"] == "moderator"
    viewer, _ = await joined(alice, stream.pk)
    await staff.send_json_to({"type": "end"})
    for comm in (viewer, staff):
        assert (await receive_until(comm, "ended"))["reason"] == "staff"
    for comm in (viewer, staff):
        await comm.disconnect()


async def test_viewer_cannot_end_the_stream(stream, alice, gateway):
    viewer, _ = await joined(alice, stream.pk)
    await viewer.send_json_to({"type": "end"})
    assert "Only the reader" in (await receive_until(viewer, "error"))["message"]
    assert await database_sync_to_async(lambda: Stream.objects.get(pk=stream.pk).status)() == "live"
    await viewer.disconnect()


# --- gifts -------------------------------------------------------------------------------------------


async def test_gifts_over_the_socket(stream, alice, bob, gateway):
    await database_sync_to_async(fund)(alice, "12.00")
    reader, _ = await joined(bob, stream.pk)
    viewer, hello = await joined(alice, stream.pk)
    assert hello["balance"] == "12.00"
    key = str(uuid.uuid4())
    await viewer.send_json_to({"type": "gift", "gift": "rose", "key": key})
    await viewer.send_json_to({"type": "gift", "gift": "rose", "key": key})  # a double click: one gift
    sent = await receive_until(viewer, "gift_sent")
    assert sent == {"type": "gift_sent", "key": key, "created": True, "balance": "2.00"}
    gift = await receive_until(reader, "gift")
    assert gift["gift"]["slug"] == "rose" and gift["gift"]["sender"] == alice.public_name
    assert gift["gift_total"] == "10.00" and gift["top"][0]["total"] == "10.00"
    assert (await receive_until(viewer, "gift_sent"))["created"] is False
    assert await database_sync_to_async(Gift.objects.count)() == 1
    assert "balance" not in json.dumps(gift)  # nobody else hears a viewer's balance
    # now too poor for a Moon: refused with the reason and a top-up link
    await viewer.send_json_to({"type": "gift", "gift": "moon", "key": str(uuid.uuid4())})
    error = await receive_until(viewer, "error")
    assert error["code"] == "funds" and error["topup_url"] == "/wallet/" and error["balance"] == "2.00"
    assert await database_sync_to_async(payments.balance)(alice) == Decimal("2.00")
    await viewer.disconnect()
    await reader.disconnect()


async def test_gifts_are_rate_limited(stream, alice, gateway, settings):
    settings.STREAMS_GIFT_BURST = 2
    settings.STREAMS_GIFT_INTERVAL_SECONDS = 60
    await database_sync_to_async(fund)(alice, "10.00")
    viewer, _ = await joined(alice, stream.pk)
    for _ in range(2):
        await viewer.send_json_to({"type": "gift", "gift": "heart", "key": str(uuid.uuid4())})
        await receive_until(viewer, "gift_sent")
    await viewer.send_json_to({"type": "gift", "gift": "heart", "key": str(uuid.uuid4())})
    assert (await receive_until(viewer, "error"))["code"] == "rate"
    await viewer.disconnect()


async def test_the_live_list_hears_when_a_stream_starts_and_ends(bob):
    lobby = WebsocketCommunicator(app, "/ws/live/")
    lobby.scope["user"] = AnonymousUser()
    assert (await lobby.connect(timeout=5))[0]
    stream = await database_sync_to_async(services.go_live)(bob, title="Fresh show", janus_urls=[])
    assert (await receive_until(lobby, "changed"))["type"] == "changed"
    await database_sync_to_async(services.end_stream)(stream.pk, bob)
    assert (await receive_until(lobby, "changed"))["type"] == "changed"
    await lobby.send_json_to({"type": "anything"})  # ignored
    await lobby.disconnect()
