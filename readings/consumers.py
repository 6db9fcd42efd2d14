"""The reading room socket: signaling, chat and billing events between exactly two people.

Thin on purpose: it authenticates, validates and rate-limits each message, calls a service
through ``database_sync_to_async`` and relays. The services decide and broadcast after commit.

Presence: every ``READINGS_HEARTBEAT_SECONDS`` this process sends a ``beat`` to each of its room
sockets, the browser answers, and one batched call records when each socket was last heard and
settles this process's rooms (``services.beat``): a party who stopped answering is found by the
surviving party's own daphne (its settle loop), with or without the sweeper. Bookkeeping is released however the
consumer ends: ``disconnect()`` on a close, the ``finally`` in ``__call__`` on an exception or a
lost channel layer.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from datetime import UTC, datetime

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.exceptions import ChannelFull
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from readings import conf, services
from readings.events import reading_group

log = logging.getLogger(__name__)

SIGNAL_KINDS = {"offer", "answer", "ice"}
MAX_SIGNAL_BYTES = 64 * 1024
MAX_FRAME_BYTES = 128 * 1024
MAX_READING_ID = 2**63 - 1

CLOSE_ENDED = 4000
CLOSE_UNAUTHENTICATED = 4401
CLOSE_REFUSED = 4403
CLOSE_REPLACED = 4409
CLOSE_FLOOD = 4429

# This process's open room sockets, beaten together (one batched database call per beat).
BEAT_CHUNK = 50
SETTLE_SLICE = 50  # rooms settled at once by a process's settle pass (see ``_settle_forever``)
_rooms: dict[str, ReadingConsumer] = {}
_loops: dict[asyncio.AbstractEventLoop, list[asyncio.Task]] = {}


async def _beat_forever():
    """Beat every socket, then write when each was last heard. The write has a thread (and database
    connection) of its own, so a busy database thread in this process never makes its parties look
    gone to the other processes."""
    period = conf.heartbeat_seconds()
    record = database_sync_to_async(services.record_heard, thread_sensitive=False)
    while _rooms:
        started = time.time()
        quiet_since = started - period / 2
        asking = [c for c in list(_rooms.values()) if c.heard_at is None or c.heard_at <= quiet_since]
        # Spread the beats over a third of the period, a few dozen at a time, so a thousand sockets'
        # beats (and their answers) never hold the event loop in one burst ahead of a signal to relay.
        chunks = range(0, len(asking), BEAT_CHUNK)
        pause = period / 3 / max(1, len(chunks))
        for start in chunks:
            for consumer in asking[start : start + BEAT_CHUNK]:
                with contextlib.suppress(Exception):  # a socket closing under us is cleaned up by its own consumer
                    await consumer.send_json({"type": "beat"})
            await asyncio.sleep(pause)
        await asyncio.sleep(max(0.0, started + period / 2 - time.time()))  # the answers arrive
        heard = {}
        for channel, consumer in list(_rooms.items()):
            if consumer.heard_at is not None and consumer.heard_at != consumer.heard_written:
                consumer.heard_written = consumer.heard_at
                heard[channel] = datetime.fromtimestamp(consumer.heard_at, tz=UTC)
        if heard:
            try:
                await record(heard)
            except Exception:
                log.exception("recording room beats failed")
        await asyncio.sleep(period / 2)


async def _settle_forever():
    """Settle each of this process's rooms once a beat: pause a party gone silent, resume, charge, end.

    A slice of ``SETTLE_SLICE`` rooms at a time, the slices spread over the beat: the pass runs on a
    thread, but its Python holds the interpreter, and a thousand rooms at once (~40 ms) made every
    signal relayed meanwhile wait behind it (signalling p99 100 ms at N = 1,000, 38 ms without it).
    """
    period = conf.heartbeat_seconds()
    settle = database_sync_to_async(services.settle_readings)
    while _rooms:
        started = time.monotonic()
        reading_ids = sorted({consumer.reading_id for consumer in _rooms.values()})
        slices = [reading_ids[i : i + SETTLE_SLICE] for i in range(0, len(reading_ids), SETTLE_SLICE)]
        for n, some in enumerate(slices):
            await asyncio.sleep(max(0.0, started + period * (n + 1) / len(slices) - time.monotonic()))
            try:
                await settle(some)
            except Exception:
                log.exception("settling rooms failed")


def _ensure_beater() -> None:
    loop = asyncio.get_running_loop()
    tasks = _loops.get(loop)
    if not tasks or any(task.done() for task in tasks):
        for task in tasks or []:
            task.cancel()
        _loops.clear()  # tasks of loops that are gone (tests start one loop per test)
        _loops[loop] = [loop.create_task(_beat_forever()), loop.create_task(_settle_forever())]


class TokenBucket:
    """``rate`` messages a second with bursts of ``burst``; ``take()`` says whether one more may pass."""

    def __init__(self, rate: float, burst: int):
        self.rate, self.capacity = float(rate), float(burst)
        self.tokens, self.stamp = float(burst), time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


class ReadingConsumer(AsyncJsonWebsocketConsumer):
    role: str | None = None
    registered = False
    heard_at: float | None = None  # when the browser last sent anything (time.time())
    heard_written: float | None = None  # the value last written to the database

    async def __call__(self, scope, receive, send):
        try:
            await super().__call__(scope, receive, send)
        finally:
            await self._release()

    async def dispatch(self, message):
        """Channels' dispatch, without its ``aclose_old_connections()`` before every message: that is
        a thread hop per frame (beats, signals), and every database call here already goes through
        ``database_sync_to_async``, which closes stale connections around each call itself."""
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def connect(self):
        user = self.scope.get("user")
        self.reading_id = int(self.scope["url_route"]["kwargs"]["reading_id"])
        if not user or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        if not 0 < self.reading_id <= MAX_READING_ID:
            await self.close(code=CLOSE_REFUSED)
            return
        self.user = user
        self.group = reading_group(self.reading_id)
        self.frames = TokenBucket(conf.get("READINGS_FRAMES_PER_SECOND"), conf.get("READINGS_FRAMES_BURST"))
        self.chats = TokenBucket(conf.get("READINGS_CHAT_PER_SECOND"), conf.get("READINGS_CHAT_BURST"))
        self.refusals = 0
        # Join the group first so no broadcast about our own arrival is missed.
        await self.channel_layer.group_add(self.group, self.channel_name)
        self.heard_at = time.time()
        joined = await database_sync_to_async(services.mark_connected)(self.reading_id, user, self.channel_name)
        if joined is None:
            await self.channel_layer.group_discard(self.group, self.channel_name)
            await self.close(code=CLOSE_REFUSED)
            return
        self.role = joined["role"]
        self.peer_channels = set(joined["peer_channels"])  # signals go straight to these sockets
        _rooms[self.channel_name] = self
        self.registered = True
        _ensure_beater()
        await self.accept()
        for channel in joined["replaced"]:  # the same party's older tab: tell it to close
            with contextlib.suppress(Exception):
                await self.channel_layer.send(channel, {"type": "reading.replaced"})
        await self.send_json(
            {
                "type": "hello",
                "role": self.role,
                "reading_type": joined["type"],
                "peer_present": joined["peer_present"],
                "heartbeat": conf.heartbeat_seconds(),
            }
        )
        await self.send_json(joined["state"])

    async def disconnect(self, code):
        await self._release()

    async def _release(self):
        """Forget this socket here and in the database, once, however the consumer ended."""
        if not self.registered:
            return
        self.registered = False
        _rooms.pop(self.channel_name, None)
        with contextlib.suppress(Exception):  # the layer itself may be what failed
            await self.channel_layer.group_discard(self.group, self.channel_name)
        if self.role is not None:
            self.role = None
            try:
                await database_sync_to_async(services.mark_disconnected)(self.reading_id, self.channel_name)
            except Exception:  # the row goes stale and the beat passes / sweeper pause billing from last heard
                log.exception("could not record that %s left reading %s", self.channel_name, self.reading_id)

    # --- from the browser ---------------------------------------------------------------

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        self.heard_at = time.time()
        if self.role is None:
            return
        if not self.frames.take():
            await self._refuse("Too many messages: slow down.", code="rate_limited")
            return
        if text_data is None or len(text_data) > MAX_FRAME_BYTES:
            await self._refuse("Message too large or not text.")
            return
        try:
            content = json.loads(text_data)
        except ValueError:
            content = None
        if not isinstance(content, dict) or not isinstance(content.get("type"), str):
            await self._refuse("Unknown message.")
            return
        await self.receive_json(content)

    async def _refuse(self, message: str, code: str = "bad_message"):
        self.refusals += 1
        if self.refusals > conf.get("READINGS_REFUSALS_BEFORE_CLOSE"):
            await self.send_json({"type": "error", "code": "flood", "message": "Too many bad messages: disconnected."})
            await self.close(code=CLOSE_FLOOD)
            return
        await self.send_json({"type": "error", "code": code, "message": message})

    async def receive_json(self, content, **kwargs):
        kind = content["type"]
        if kind == "beat":
            return  # heard_at is all a beat is for
        if kind == "chat":
            await self._chat(content)
        elif kind == "signal":
            await self._signal(content)
        elif kind == "end":
            await database_sync_to_async(services.end_reading)(self.reading_id, self.user)
        elif kind == "ping":
            t = content.get("t")
            await self.send_json({"type": "pong", "t": t if isinstance(t, int | float) else None})
        else:
            await self._refuse("Unknown message.")

    async def _chat(self, content):
        text = content.get("text")
        if not isinstance(text, str):
            await self._refuse("A chat message needs text.")
            return
        if not self.chats.take():
            await self._refuse("You are sending messages too fast: slow down.", code="rate_limited")
            return
        try:
            await database_sync_to_async(services.post_message)(self.reading_id, self.user, text)
        except services.ReadingError as exc:
            await self._refuse(str(exc))

    async def _signal(self, content):
        kind = content.get("kind")
        data = content.get("data")
        if kind not in SIGNAL_KINDS or not isinstance(data, dict):
            await self._refuse("Bad signal.")
            return
        try:  # one serialisation checks both the size and that it is valid Unicode
            size = len(json.dumps(data, ensure_ascii=False).encode("utf-8"))
        except (UnicodeEncodeError, TypeError, ValueError):
            size = MAX_SIGNAL_BYTES + 1
        if size > MAX_SIGNAL_BYTES or (kind in ("offer", "answer") and not isinstance(data.get("sdp"), str)):
            await self._refuse("Bad signal.")
            return
        to = "reader" if self.role == "client" else "client"
        message = {"type": "reading.signal", "to": to, "from": self.role, "kind": kind, "data": data}
        try:
            if self.peer_channels:  # one direct send per peer socket: cheaper than a group fan-out
                for channel in list(self.peer_channels):
                    await self.channel_layer.send(channel, message)
            else:
                await self.channel_layer.group_send(self.group, message)
        except ChannelFull:
            await self.send_json({"type": "error", "message": "The server is busy; the call setup will retry."})

    # --- from the group -----------------------------------------------------------------

    async def reading_signal(self, event):
        if self.role is None or event["to"] != self.role:
            return  # relayed to the other party only, never echoed
        await self.send_json({"type": "signal", "kind": event["kind"], "data": event["data"], "from": event["from"]})

    async def reading_replaced(self, event):
        """The same party opened the room elsewhere: this socket steps aside (no billing change)."""
        self.role = None  # its row is already the new socket's; nothing to release
        await self.send_json(
            {"type": "error", "code": "replaced", "message": "This reading is now open in another tab or window."}
        )
        await self.close(code=CLOSE_REPLACED)

    async def reading_event(self, event):
        if self.role is None:
            return
        payload = dict(event["payload"])
        if "client_balance" in payload and self.role != "client":
            payload.pop("client_balance")
        if payload.get("type") == "peer":
            if payload.get("role") == self.role:
                return  # our own arrival or departure
            channel = payload.pop("channel", None)
            if payload["event"] == "joined" and channel:
                self.peer_channels = {channel}
            elif payload["event"] == "left":
                self.peer_channels.discard(channel)
        elif payload.get("type") == "presence" and payload.get("role") == self.role:
            return  # "you lost connection" is for the other party
        await self.send_json(payload)
        if payload.get("type") == "ended":
            self.role = None
            await self.close(code=CLOSE_ENDED)
