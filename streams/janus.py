"""The server's client for Janus (VideoRoom plugin) over its WebSockets API. Browsers never talk to Janus.

One WebSocket per Janus server per event loop carries every Janus session of this process (one
session per open stream page, each with one VideoRoom handle: the reader's publisher or a viewer's
subscriber). Replies are matched by ``transaction``; asynchronous plugin events and core events
(``webrtcup``, ``hangup``, ``trickle``, ``timeout``...) are routed by session id to the session's
``on_event`` callback. Every request carries the ``api_secret``; creating a room needs the
VideoRoom ``admin_key``. Both come from settings and never leave the server.

If the WebSocket drops (Janus restarted or died), every session on it hears ``lost``: the rooms and
PeerConnections are gone with the Janus process, so the stream consumer ends the stream cleanly.

The consumer only uses :class:`MediaSession`'s methods, so tests inject a fake with the same shape
(see ``gateway_for``).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

import websockets
from django.conf import settings

log = logging.getLogger(__name__)

EventCallback = Callable[[str, dict], Awaitable[None] | None]
VIDEOROOM = "janus.plugin.videoroom"


class MediaError(Exception):
    """Janus refused or could not be reached. The message is safe to show to the user."""


class _Connection:
    """One WebSocket to one Janus server, shared by all sessions of this process (per event loop)."""

    def __init__(self, url: str):
        self.url = url
        self.ws = None
        self.reader: asyncio.Task | None = None
        self.pending: dict[str, tuple[asyncio.Future, bool]] = {}
        self.sessions: dict[int, JanusSession] = {}
        self.lock = asyncio.Lock()
        self.counter = itertools.count(1)

    async def ensure(self) -> None:
        if self.ws is not None and self.reader is not None and not self.reader.done():
            return
        async with self.lock:
            if self.ws is not None and self.reader is not None and not self.reader.done():
                return
            try:
                self.ws = await asyncio.wait_for(
                    websockets.connect(
                        self.url, subprotocols=["janus-protocol"], max_size=2**22, ping_interval=20, open_timeout=5
                    ),
                    timeout=float(settings.JANUS_REQUEST_TIMEOUT_SECONDS),
                )
            except (OSError, TimeoutError, websockets.WebSocketException) as exc:
                log.warning("Janus at %s unreachable: %s", self.url, exc)
                raise MediaError("The live video server is unreachable right now.") from exc
            self.reader = asyncio.get_running_loop().create_task(self._read())

    async def _read(self) -> None:
        ws = self.ws
        try:
            async for raw in ws:
                try:
                    message = json.loads(raw)
                except ValueError:
                    continue
                await self._dispatch(message)
        except websockets.WebSocketException as exc:
            log.warning("Janus connection to %s closed: %s", self.url, exc)
        finally:
            self.ws = None
            error = MediaError("The live video server went away.")
            for future, _ in list(self.pending.values()):
                if not future.done():
                    future.set_exception(error)
            self.pending.clear()
            sessions, self.sessions = list(self.sessions.values()), {}
            for session in sessions:
                session.gone = True
                await session.emit("lost", {"reason": "The live video server went away."})

    async def _dispatch(self, message: dict) -> None:
        kind = message.get("janus")
        transaction = message.get("transaction")
        if transaction in self.pending:
            future, wait_event = self.pending[transaction]
            if kind == "ack" and wait_event:
                return  # an asynchronous plugin request: its event follows with the same transaction
            self.pending.pop(transaction, None)
            if not future.done():
                future.set_result(message)
            return
        session = self.sessions.get(message.get("session_id"))
        if session is not None:
            await session.handle_event(message)

    async def request(self, body: dict, *, wait_event: bool = False, timeout: float | None = None) -> dict:
        await self.ensure()
        transaction = secrets.token_hex(8)
        body = {**body, "transaction": transaction}
        if settings.JANUS_API_SECRET:
            body["apisecret"] = settings.JANUS_API_SECRET
        future = asyncio.get_running_loop().create_future()
        self.pending[transaction] = (future, wait_event)
        try:
            await self.ws.send(json.dumps(body))
            reply = await asyncio.wait_for(future, timeout or float(settings.JANUS_REQUEST_TIMEOUT_SECONDS))
        except (TimeoutError, websockets.WebSocketException, AttributeError) as exc:
            raise MediaError("The live video server did not answer in time.") from exc
        finally:
            self.pending.pop(transaction, None)
        if reply.get("janus") == "error":
            error = reply.get("error") or {}
            log.warning("Janus error %s: %s", error.get("code"), error.get("reason"))
            raise MediaError(f"The live video server refused: {error.get('reason', 'unknown error')}")
        return reply


_connections: dict[tuple[int, str], _Connection] = {}


def _connection(url: str) -> _Connection:
    loop = asyncio.get_running_loop()
    key = (id(loop), url)
    conn = _connections.get(key)
    if conn is None:
        for stale in [k for k in _connections if k[0] != id(loop) and k[1] == url]:
            _connections.pop(stale, None)  # connections of event loops that are gone (tests)
        conn = _connections[key] = _Connection(url)
    return conn


def _plugin_result(reply: dict) -> tuple[dict, dict | None]:
    data = ((reply.get("plugindata") or {}).get("data")) or {}
    if data.get("error_code"):
        raise MediaError(f"The live video server refused: {data.get('error', 'unknown error')}")
    return data, reply.get("jsep")


class JanusSession:
    """One Janus session with one VideoRoom handle; keeps itself alive until :meth:`close`."""

    def __init__(self, conn: _Connection, on_event: EventCallback):
        self.conn = conn
        self.on_event = on_event
        self.session_id: int | None = None
        self.handle_id: int | None = None
        self.keepalive: asyncio.Task | None = None
        self.gone = False

    async def emit(self, kind: str, data: dict) -> None:
        try:
            result = self.on_event(kind, data)
            if asyncio.iscoroutine(result):
                await result
        except Exception:
            log.exception("media event %s handler failed", kind)

    async def open(self) -> JanusSession:
        reply = await self.conn.request({"janus": "create"})
        self.session_id = reply["data"]["id"]
        self.conn.sessions[self.session_id] = self
        reply = await self.conn.request({"janus": "attach", "session_id": self.session_id, "plugin": VIDEOROOM})
        self.handle_id = reply["data"]["id"]
        self.keepalive = asyncio.get_running_loop().create_task(self._keepalive())
        return self

    async def _keepalive(self) -> None:
        period = float(settings.JANUS_KEEPALIVE_SECONDS)
        while not self.gone:
            await asyncio.sleep(period)
            try:
                await self.conn.request({"janus": "keepalive", "session_id": self.session_id})
            except MediaError:
                if not self.gone:
                    self.gone = True
                    await self.emit("lost", {"reason": "The live video server stopped answering."})
                return

    async def handle_event(self, message: dict) -> None:
        kind = message.get("janus")
        if kind == "event":
            data = ((message.get("plugindata") or {}).get("data")) or {}
            if "unpublished" in data or "leaving" in data:
                await self.emit("unpublished", data)
            elif data.get("videoroom") == "destroyed":
                await self.emit("lost", {"reason": "The live video room was closed."})
            elif message.get("jsep"):
                await self.emit("jsep", {"jsep": message["jsep"], "data": data})
            else:
                await self.emit("plugin", data)
        elif kind == "trickle":
            candidate = message.get("candidate") or {}
            await self.emit("trickle", {"candidate": None if candidate.get("completed") else candidate})
        elif kind in ("webrtcup", "hangup", "media", "slowlink", "detached"):
            await self.emit(kind, {k: v for k, v in message.items() if k not in ("session_id", "sender")})
        elif kind == "timeout":
            self.gone = True
            self.conn.sessions.pop(self.session_id, None)
            await self.emit("lost", {"reason": "The live video session timed out."})

    async def _message(self, body: dict, jsep: dict | None = None, *, wait_event: bool = True) -> tuple[dict, dict]:
        request: dict[str, Any] = {
            "janus": "message",
            "session_id": self.session_id,
            "handle_id": self.handle_id,
            "body": body,
        }
        if jsep is not None:
            request["jsep"] = jsep
        return _plugin_result(await self.conn.request(request, wait_event=wait_event))

    # --- the VideoRoom operations the stream consumer uses ------------------------------------

    async def ensure_room(self, room: int, secret: str, description: str) -> None:
        data, _ = await self._message({"request": "exists", "room": room}, wait_event=False)
        if data.get("exists"):
            return
        body = {
            "request": "create",
            "room": room,
            "description": description[:100],
            "secret": secret,
            "pin": secret,
            "is_private": True,
            "publishers": 1,
            "bitrate": int(settings.STREAMS_VIDEO_BITRATE),
            "fir_freq": 10,
            "audiocodec": "opus",
            "videocodec": "vp8",
        }
        if settings.JANUS_ADMIN_KEY:
            body["admin_key"] = settings.JANUS_ADMIN_KEY
        await self._message(body, wait_event=False)

    async def destroy_room(self, room: int, secret: str) -> None:
        with contextlib.suppress(MediaError):
            await self._message({"request": "destroy", "room": room, "secret": secret}, wait_event=False)

    async def publish(self, room: int, secret: str, feed: int, display: str, offer: dict) -> dict:
        body = {
            "request": "joinandconfigure",
            "ptype": "publisher",
            "room": room,
            "pin": secret,
            "id": feed,
            "display": display[:60],
            "audio": True,
            "video": True,
        }
        _, jsep = await self._message(body, offer)
        if not jsep:
            raise MediaError("The live video server sent no answer.")
        return jsep

    async def subscribe(self, room: int, secret: str, feed: int) -> dict:
        body = {
            "request": "join",
            "ptype": "subscriber",
            "room": room,
            "pin": secret,
            "streams": [{"feed": feed}],
            "autoupdate": False,  # the consumer resubscribes from scratch when the reader republishes
        }
        _, jsep = await self._message(body)
        if not jsep:
            raise MediaError("The live video server sent no offer.")
        return jsep

    async def start(self, answer: dict) -> None:
        await self._message({"request": "start"}, answer)

    async def trickle(self, candidate: dict | None) -> None:
        body = {"janus": "trickle", "session_id": self.session_id, "handle_id": self.handle_id}
        body["candidate"] = {"completed": True} if candidate is None else candidate
        await self.conn.request(body)

    async def close(self) -> None:
        """Detach the handle and destroy the session (idempotent; quiet when Janus is gone)."""
        if self.keepalive is not None:
            self.keepalive.cancel()
            self.keepalive = None
        if self.session_id is None:
            return
        session_id, self.session_id = self.session_id, None
        self.conn.sessions.pop(session_id, None)
        if self.gone:
            return
        self.gone = True
        with contextlib.suppress(MediaError):
            await self.conn.request({"janus": "destroy", "session_id": session_id}, timeout=5)


class JanusGateway:
    """Opens :class:`JanusSession`s on one Janus server."""

    def __init__(self, url: str):
        self.url = url

    async def open(self, on_event: EventCallback) -> JanusSession:
        session = JanusSession(_connection(self.url), on_event)
        try:
            return await session.open()
        except MediaError:
            await session.close()
            raise

    async def info(self) -> dict:
        return await _connection(self.url).request({"janus": "info"})


def gateway_for(url: str) -> JanusGateway:
    """The media gateway for a Janus URL; the consumer tests replace this with a fake."""
    return JanusGateway(url)
