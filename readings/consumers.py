"""The reading room socket: signaling, chat and billing events between exactly two people.

Thin on purpose: it authenticates, validates the shape of each message, calls a service
through ``database_sync_to_async`` and relays. The services broadcast after commit.
"""

import asyncio
import contextlib
import logging

from channels.db import database_sync_to_async
from channels.exceptions import ChannelFull
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from readings import conf, services
from readings.events import reading_group

log = logging.getLogger(__name__)

SIGNAL_KINDS = {"offer", "answer", "ice"}
MAX_SIGNAL_BYTES = 64 * 1024
MAX_FRAME_BYTES = 128 * 1024


# Heartbeats of every room socket in this process, batched: one UPDATE per period per process
# (not one per socket), so thousands of open rooms cost the database next to nothing.
_live_channels: set[str] = set()
_beaters: dict[asyncio.AbstractEventLoop, asyncio.Task] = {}


async def _beat_forever():
    period = float(conf.get("READINGS_HEARTBEAT_SECONDS"))
    beat = database_sync_to_async(services.heartbeat_many)
    while _live_channels:
        await asyncio.sleep(period)
        try:
            await beat(list(_live_channels))
        except Exception:
            log.exception("heartbeat failed")


def _ensure_beater() -> None:
    loop = asyncio.get_running_loop()
    task = _beaters.get(loop)
    if task is None or task.done():
        _beaters.clear()  # tasks of loops that are gone (tests start one loop per test)
        _beaters[loop] = loop.create_task(_beat_forever())


class ReadingConsumer(AsyncJsonWebsocketConsumer):
    role: str | None = None
    timer: asyncio.Task | None = None

    async def connect(self):
        user = self.scope.get("user")
        self.reading_id = int(self.scope["url_route"]["kwargs"]["reading_id"])
        if not user or not user.is_authenticated:
            await self.close(code=4401)
            return
        self.user = user
        self.group = reading_group(self.reading_id)
        # Join the group first so no broadcast about our own arrival is missed.
        await self.channel_layer.group_add(self.group, self.channel_name)
        joined = await database_sync_to_async(services.mark_connected)(self.reading_id, user, self.channel_name)
        if joined is None:
            await self.channel_layer.group_discard(self.group, self.channel_name)
            await self.close(code=4403)
            return
        self.role = joined["role"]
        self.peer_channels = set(joined["peer_channels"])  # signals go straight to these sockets
        await self.accept()
        state = joined["state"]
        await self.send_json(
            {
                "type": "hello",
                "role": self.role,
                "reading_type": joined["type"],
                "peer_present": joined["peer_present"],
            }
        )
        await self.send_json(state)
        _live_channels.add(self.channel_name)
        _ensure_beater()
        self.wake = asyncio.Event()
        self.timer = asyncio.ensure_future(self._run_timer())

    async def disconnect(self, code):
        _live_channels.discard(self.channel_name)
        if self.timer is not None:
            self.timer.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self.timer
            self.timer = None
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)
        if self.role is not None:
            self.role = None
            await database_sync_to_async(services.mark_disconnected)(self.reading_id, self.channel_name)

    async def _run_timer(self):
        """The database is the clock: wake at the next minute's start (or grace expiry) and ask the service.

        Billing events (start, pause, resume) wake it early, so a resumed reading's next minute is
        charged on time; the sweeper (bill_readings) covers a worker that died.
        """
        tick = database_sync_to_async(services.tick)
        delay = float(conf.get("READINGS_TICK_SECONDS"))
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), timeout=delay)
            self.wake.clear()
            try:
                status, delay = await tick(self.reading_id, self.channel_name, beat=False)
            except Exception:
                log.exception("tick for reading %s failed", self.reading_id)
                delay = float(conf.get("READINGS_HEARTBEAT_SECONDS"))
                continue
            if status not in ("accepted", "active"):
                return

    # --- from the browser ---------------------------------------------------------------

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        if text_data is None or len(text_data) > MAX_FRAME_BYTES:
            await self.send_json({"type": "error", "message": "Message too large or not text."})
            return
        await super().receive(text_data=text_data, bytes_data=bytes_data, **kwargs)

    @classmethod
    async def decode_json(cls, text_data):
        import json

        try:
            return json.loads(text_data)
        except ValueError:
            return None

    async def receive_json(self, content, **kwargs):
        if self.role is None:
            return
        if not isinstance(content, dict) or not isinstance(content.get("type"), str):
            await self.send_json({"type": "error", "message": "Unknown message."})
            return
        kind = content["type"]
        if kind == "chat":
            await self._chat(content)
        elif kind == "signal":
            await self._signal(content)
        elif kind == "end":
            await database_sync_to_async(services.end_reading)(self.reading_id, self.user)
        elif kind == "ping":
            await self.send_json(
                {"type": "pong", "t": content.get("t") if isinstance(content.get("t"), int | float) else None}
            )
        else:
            await self.send_json({"type": "error", "message": "Unknown message."})

    async def _chat(self, content):
        text = content.get("text")
        if not isinstance(text, str):
            await self.send_json({"type": "error", "message": "A chat message needs text."})
            return
        if "\x00" in text:  # PostgreSQL cannot store NUL; refuse it clearly instead of a 1011
            await self.send_json({"type": "error", "message": "Messages cannot contain NUL characters."})
            return
        try:
            await database_sync_to_async(services.post_message)(self.reading_id, self.user, text)
        except services.ReadingError as exc:
            await self.send_json({"type": "error", "message": str(exc)})

    async def _signal(self, content):
        kind = content.get("kind")
        data = content.get("data")
        if kind not in SIGNAL_KINDS or not isinstance(data, dict) or len(str(data)) > MAX_SIGNAL_BYTES:
            await self.send_json({"type": "error", "message": "Bad signal."})
            return
        if kind in ("offer", "answer") and not isinstance(data.get("sdp"), str):
            await self.send_json({"type": "error", "message": "Bad signal."})
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

    async def reading_event(self, event):
        if self.role is None:
            return
        payload = dict(event["payload"])
        if "client_balance" in payload and self.role != "client":
            payload.pop("client_balance")
        if payload.get("type") == "peer":
            if payload.get("role") == self.role:
                return  # our own arrival or departure (or another tab of ours)
            channel = payload.pop("channel", None)
            if payload["event"] == "joined" and channel:
                self.peer_channels.add(channel)
            elif payload["event"] == "left":
                self.peer_channels.discard(channel)
                if not payload.pop("gone", True):
                    return  # another socket of theirs is still here
        if payload.get("type") in ("billing", "started") and self.timer is not None:
            self.wake.set()  # the clock changed (start, pause, resume): recompute when to tick
        await self.send_json(payload)
        if payload.get("type") == "ended":
            self.role = None
            if self.timer is not None:
                self.timer.cancel()
            await self.close(code=4000)
