"""The stream socket (``ws/streams/<id>/``) and the /live/ list's socket (``ws/live/``).

Thin on purpose: it authenticates, validates and rate-limits each message, calls a service through
``database_sync_to_async`` and relays. Services broadcast on ``stream.<id>`` after commit.

Media: each open page gets its own Janus session and VideoRoom handle, made here, server-side
(:mod:`streams.janus`): the reader's studio publishes, each viewer subscribes to the reader's feed.
SDP and ICE go only between one browser and its own Janus handle, never through the group, so a
viewer can never receive another viewer's signalling. The room's secret never leaves the server.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.urls import reverse

from payments import services as payments
from streams import janus, services
from streams.models import Stream
from streams.services.events import LOBBY_GROUP, stream_group

log = logging.getLogger(__name__)

MAX_FRAME_BYTES = 96 * 1024
MAX_SDP_BYTES = 64 * 1024
MAX_CANDIDATE_BYTES = 2048


class Bucket:
    """Token bucket: ``burst`` at once, then one more every ``interval`` seconds."""

    def __init__(self, burst: int, interval: float):
        self.capacity = float(burst)
        self.tokens = float(burst)
        self.interval = max(interval, 1e-6)
        self.stamp = time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) / self.interval)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


# Heartbeats of every stream socket in this process, batched: one UPDATE per period per process. The
# same loop ends streams whose reader vanished (a crashed worker or a closed laptop leaves no ghost).
_live_channels: set[str] = set()
_beaters: dict[asyncio.AbstractEventLoop, asyncio.Task] = {}


async def _beat_forever():
    beat = database_sync_to_async(services.heartbeat)
    sweep = database_sync_to_async(services.end_stale_streams)
    while _live_channels:
        await asyncio.sleep(float(settings.STREAMS_HEARTBEAT_SECONDS))
        try:
            await beat(list(_live_channels))
            await sweep()
        except Exception:
            log.exception("stream heartbeat failed")


def _ensure_beater() -> None:
    loop = asyncio.get_running_loop()
    task = _beaters.get(loop)
    if task is None or task.done():
        _beaters.clear()
        _beaters[loop] = loop.create_task(_beat_forever())


def _load(stream_id: int, user) -> dict | None:
    stream = Stream.objects.select_related("reader", "reader__reader_profile").filter(pk=stream_id).first()
    if stream is None:
        return None
    return {
        "stream": stream,
        "restrictions": services.restrictions_of(stream.reader_id, user),
        "balance": payments.balance(user) if getattr(user, "is_authenticated", False) and user.is_client else None,
        "top": services.top_gifters(stream),
    }


class StreamConsumer(AsyncJsonWebsocketConsumer):
    role: str | None = None
    media = None  # this page's Janus session (publisher or subscriber handle)
    joined = False

    async def connect(self):
        self.user = self.scope.get("user")
        self.stream_id = int(self.scope["url_route"]["kwargs"]["stream_id"])
        self.tasks: set[asyncio.Task] = set()
        self.media_lock = asyncio.Lock()
        loaded = await database_sync_to_async(_load)(self.stream_id, self.user)
        if loaded is None:
            await self.close(code=4404)
            return
        stream: Stream = loaded["stream"]
        self.stream = stream
        await self.accept()
        if stream.status != Stream.Status.LIVE:
            await self._send_ended(stream.end_reason)
            return
        self.group = stream_group(stream.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        key = services.viewer_key(
            self.user, self.scope.get("session") and self.scope["session"].session_key, self.channel_name
        )
        try:
            joined = await database_sync_to_async(services.join)(stream.pk, self.user, self.channel_name, key)
        except services.Banned:
            await self.channel_layer.group_discard(self.group, self.channel_name)
            await self.send_json(
                {"type": "error", "code": "banned", "message": "You cannot watch this reader's streams."}
            )
            await self.close(code=4403)
            return
        if joined is None:
            await self._send_ended(Stream.EndReason.READER)
            return
        self.joined = True
        # Keep the first load (reader and profile fetched); the join has the current figures.
        for field in ("viewer_count", "publishing", "gift_total", "gift_count"):
            setattr(stream, field, getattr(joined, field))
        authenticated = bool(getattr(self.user, "is_authenticated", False))
        if authenticated and self.user.pk == stream.reader_id:
            self.role = "publisher"
        elif authenticated and self.user.is_staff:
            self.role = "moderator"
        else:
            self.role = "viewer"
        self.restrictions = loaded["restrictions"]
        self.chat_bucket = Bucket(settings.STREAMS_CHAT_BURST, settings.STREAMS_CHAT_INTERVAL_SECONDS)
        self.gift_bucket = Bucket(settings.STREAMS_GIFT_BURST, settings.STREAMS_GIFT_INTERVAL_SECONDS)
        self.frame_bucket = Bucket(120, 0.02)  # any message: 120 at once, then 50 a second
        self.media_bucket = Bucket(5, 2.0)  # new Janus sessions (publish / watch): 5 at once, then one per 2 s
        if not authenticated:
            chat_reason = "Log in to chat and send gifts."
        elif self.role == "viewer" and self.restrictions:
            chat_reason = "You have been muted in this reader's streams."
        else:
            chat_reason = ""
        await self.send_json(
            {
                "type": "hello",
                "role": self.role,
                "user_id": self.user.pk if authenticated else None,
                "video": {"available": stream.has_video, "live": stream.publishing},
                "viewers": stream.viewer_count,
                "gift_total": f"{stream.gift_total:.2f}",
                "gift_count": stream.gift_count,
                "top": loaded["top"],
                "can_chat": not chat_reason,
                "chat_reason": chat_reason,
                "balance": None if loaded["balance"] is None else f"{loaded['balance']:.2f}",
            }
        )
        _live_channels.add(self.channel_name)
        _ensure_beater()

    async def disconnect(self, code):
        _live_channels.discard(self.channel_name)
        for task in list(getattr(self, "tasks", ())):
            task.cancel()
        await self._close_media(publisher_gone=True)
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)
        if self.joined:
            self.joined = False
            await database_sync_to_async(services.leave)(self.channel_name)
        self.role = None

    async def _send_ended(self, reason: str):
        await self.send_json(
            {
                "type": "ended",
                "reason": reason,
                "message": services.END_MESSAGES.get(reason, "This stream has ended."),
                "summary_url": reverse("streams:summary", args=[self.stream_id]),
            }
        )
        await self.close(code=4000)

    # --- from the browser -----------------------------------------------------------------------

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        if self.role is None:
            return
        if text_data is None or len(text_data) > MAX_FRAME_BYTES:
            await self._error("Message too large or not text.")
            return
        if not self.frame_bucket.take():
            await self._error("Too many messages; slow down.", code="rate")
            return
        try:
            content = json.loads(text_data)
        except ValueError:
            await self._error("Messages must be JSON.")
            return
        await self.receive_json(content)

    async def receive_json(self, content, **kwargs):
        if not isinstance(content, dict) or not isinstance(content.get("type"), str):
            await self._error("Unknown message.")
            return
        handler = {
            "chat": self._chat,
            "gift": self._gift,
            "delete": self._delete,
            "restrict": self._restrict,
            "end": self._end,
            "publish": self._publish,
            "watch": self._watch,
            "answer": self._answer,
            "ice": self._ice,
            "ping": self._ping,
        }.get(content["type"])
        if handler is None:
            await self._error("Unknown message.")
            return
        try:
            await handler(content)
        except services.StreamError as exc:
            await self._error(str(exc))
        except janus.MediaError as exc:
            await self.send_json({"type": "video", "state": "error", "message": str(exc)})

    async def _error(self, message: str, code: str = "", **extra):
        await self.send_json({"type": "error", "message": message, "code": code, **extra})

    def _authenticated(self) -> bool:
        return bool(getattr(self.user, "is_authenticated", False))

    async def _ping(self, content):
        t = content.get("t")
        await self.send_json({"type": "pong", "t": t if isinstance(t, int | float) else None})

    async def _chat(self, content):
        if not self._authenticated():
            raise services.StreamError("Log in to chat.")
        # Checked before the rate limit, so a refused message does not use up the sender's allowance.
        text = services.clean_text(
            content.get("text"), what="Your message", max_length=settings.STREAMS_CHAT_MAX_LENGTH, min_length=1
        )
        if not self.chat_bucket.take():
            await self._error("You are sending messages too fast; wait a moment.", code="rate")
            return
        await database_sync_to_async(services.post_chat)(self.stream_id, self.user, text)

    async def _gift(self, content):
        if not self._authenticated():
            raise services.StreamError("Log in to send gifts.")
        if not self.gift_bucket.take():
            await self._error("You are sending gifts too fast; wait a moment.", code="rate")
            return
        try:
            # Not thread-sensitive: gifts from many sockets run in parallel threads (each its own database
            # connection); the stream row and the ledger accounts are locked inside, so totals stay exact.
            result = await database_sync_to_async(services.send_gift, thread_sensitive=False)(
                self.stream_id, self.user, content.get("gift"), content.get("key")
            )
        except payments.InsufficientFunds as exc:
            balance = await database_sync_to_async(payments.balance)(self.user)
            await self._error(
                str(exc),
                code="funds",
                topup_url=reverse("payments:wallet"),
                balance=f"{balance:.2f}",
                key=str(content.get("key"))[:64],
            )
            return
        except payments.PaymentError as exc:
            raise services.StreamError(str(exc)) from exc
        await self.send_json(
            {
                "type": "gift_sent",
                "key": str(content.get("key"))[:64],
                "created": result.created,
                "balance": f"{result.balance:.2f}",
            }
        )

    def _int(self, value) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 2**63:
            raise services.StreamError("Bad id.")
        return value

    async def _delete(self, content):
        if self.role not in ("publisher", "moderator"):
            raise services.StreamError("Only the reader or the SoulSeer team can delete messages.")
        await database_sync_to_async(services.delete_message)(self._int(content.get("id")), self.user)

    async def _restrict(self, content):
        if self.role not in ("publisher", "moderator"):
            raise services.StreamError("Only the reader or the SoulSeer team can mute or ban viewers.")
        target_id = self._int(content.get("user_id"))
        kind = content.get("kind")

        def restrict():
            from accounts.models import User

            target = User.objects.filter(pk=target_id).first()
            if target is None:
                raise services.StreamError("That person no longer exists.")
            return services.restrict(self.stream.reader, target, kind, self.user)

        await database_sync_to_async(restrict)()
        await self.send_json({"type": "restrict_done", "user_id": target_id, "kind": kind})

    async def _end(self, content):
        if self.role not in ("publisher", "moderator"):
            raise services.StreamError("Only the reader or the SoulSeer team can end this stream.")
        await database_sync_to_async(services.end_stream)(self.stream_id, self.user)

    # --- signalling between this browser and its own Janus handle ---------------------------------

    def _sdp(self, content, kind: str) -> dict:
        sdp = content.get("sdp")
        if not isinstance(sdp, str) or not sdp or len(sdp) > MAX_SDP_BYTES:
            raise services.StreamError("Bad session description.")
        return {"type": kind, "sdp": sdp}

    def _require_video(self):
        if not self.stream.has_video:
            raise services.StreamError("Live video is unavailable for this stream; chat and gifts still work.")

    async def _open_media(self):
        if not self.media_bucket.take():
            raise services.StreamError("Too many video requests; wait a moment.")
        await self._close_media()
        self.media = await janus.gateway_for(self.stream.janus_url).open(self._on_media_event)
        return self.media

    async def _close_media(self, publisher_gone: bool = False):
        media, self.media = self.media, None
        if media is not None:
            with contextlib.suppress(Exception):
                await media.close()
            if publisher_gone and self.role == "publisher":
                await database_sync_to_async(services.set_publishing)(self.stream_id, False)

    async def _publish(self, content):
        if self.role != "publisher":
            raise services.StreamError("Only the reader of this stream can publish video to it.")
        self._require_video()
        offer = self._sdp(content, "offer")
        async with self.media_lock:
            stream = self.stream
            for attempt in range(3):
                media = await self._open_media()
                await media.ensure_room(stream.room_id, stream.room_secret, stream.title)
                try:
                    answer = await media.publish(
                        stream.room_id, stream.room_secret, stream.publisher_feed, stream.reader.public_name, offer
                    )
                    break
                except janus.MediaError as exc:
                    # A reloaded studio page: the previous page's session may still be leaving the room.
                    if "already exists" not in str(exc) or attempt == 2:
                        raise
                    await asyncio.sleep(1.0)
        await self.send_json({"type": "answer", "sdp": answer["sdp"]})

    async def _watch(self, content):
        self._require_video()
        async with self.media_lock:
            stream = await database_sync_to_async(Stream.objects.get)(pk=self.stream_id)
            if not stream.publishing:
                await self.send_json({"type": "video", "state": "off"})
                return
            media = await self._open_media()
            offer = await media.subscribe(stream.room_id, stream.room_secret, stream.publisher_feed)
        await self.send_json({"type": "offer", "sdp": offer["sdp"]})

    async def _answer(self, content):
        answer = self._sdp(content, "answer")
        if self.role == "publisher" or self.media is None:
            raise services.StreamError("There is no video offer to answer.")
        await self.media.start(answer)

    async def _ice(self, content):
        candidate = content.get("candidate")
        if candidate is not None:
            if (
                not isinstance(candidate, dict)
                or not isinstance(candidate.get("candidate"), str)
                or len(json.dumps(candidate)) > MAX_CANDIDATE_BYTES
            ):
                raise services.StreamError("Bad ICE candidate.")
            candidate = {
                "candidate": candidate["candidate"],
                "sdpMid": candidate.get("sdpMid") if isinstance(candidate.get("sdpMid"), str) else None,
                "sdpMLineIndex": candidate.get("sdpMLineIndex")
                if isinstance(candidate.get("sdpMLineIndex"), int)
                else None,
            }
            if not candidate["candidate"]:
                candidate = None  # an empty candidate string is the end-of-candidates marker
        if self.media is None:
            return  # late candidates of a connection already closed
        await self.media.trickle(candidate)

    # --- from Janus (this page's own session only) -------------------------------------------------

    async def _on_media_event(self, kind: str, data: dict):
        if self.role is None:
            return
        if kind == "trickle":
            await self.send_json({"type": "ice", "candidate": data.get("candidate")})
        elif kind == "webrtcup":
            if self.role == "publisher":
                await database_sync_to_async(services.set_publishing)(self.stream_id, True)
            await self.send_json({"type": "media", "state": "up"})
        elif kind == "hangup":
            if self.role == "publisher":
                await database_sync_to_async(services.set_publishing)(self.stream_id, False)
            await self.send_json({"type": "media", "state": "down"})
        elif kind == "lost":
            self.media = None
            if self.role == "publisher":
                # Janus restarted or died: its room and every PeerConnection are gone. End the stream cleanly.
                self._spawn(
                    database_sync_to_async(services.end_stream)(self.stream_id, None, reason=Stream.EndReason.MEDIA)
                )
            else:
                await self.send_json({"type": "video", "state": "lost", "message": data.get("reason", "")})

    def _spawn(self, coro):
        task = asyncio.ensure_future(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    # --- from the group -----------------------------------------------------------------------------

    async def stream_event(self, event):
        if self.role is None:
            return
        payload = event["payload"]
        kind = payload.get("type")
        if kind == "restricted":
            if self._authenticated() and payload.get("user_id") == self.user.pk:
                if payload.get("kind") == "ban":
                    await self.send_json(
                        {"type": "error", "code": "banned", "message": "You have been removed from this stream."}
                    )
                    self.role = None
                    await self._close_media()
                    await self.close(code=4403)
                    return
                self.restrictions.add(payload.get("kind"))
                await self.send_json({"type": "muted", "message": "You have been muted in this reader's streams."})
                return
            if self.role not in ("publisher", "moderator"):
                return  # only moderators hear who was muted or banned
        elif kind == "video" and self.role != "publisher":
            if payload.get("state") == "off":
                await self._close_media()
        elif kind == "ended":
            self.role, role = None, self.role
            if role == "publisher" and self.media is not None:
                with contextlib.suppress(Exception):
                    await self.media.destroy_room(self.stream.room_id, self.stream.room_secret)
            await self._close_media()
            await self.send_json(payload)
            await self.close(code=4000)
            return
        await self.send_json(payload)


class LobbyConsumer(AsyncJsonWebsocketConsumer):
    """The /live/ page: told (at most once a second) that the list changed; it fetches the fragment."""

    pending: asyncio.Task | None = None

    async def connect(self):
        await self.channel_layer.group_add(LOBBY_GROUP, self.channel_name)
        await self.accept()

    async def disconnect(self, code):
        if self.pending is not None:
            self.pending.cancel()
        await self.channel_layer.group_discard(LOBBY_GROUP, self.channel_name)

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        return  # nothing a browser sends here is acted on

    async def lobby_changed(self, event):
        if self.pending is None or self.pending.done():
            self.pending = asyncio.ensure_future(self._notify())

    async def _notify(self):
        await asyncio.sleep(1.0)
        await self.send_json({"type": "changed"})
