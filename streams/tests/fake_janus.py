"""A stand-in for :mod:`streams.janus` in the consumer tests: same methods, records every call, and lets
a test play Janus's side (``webrtcup``, ``trickle``, ``lost``...). The real Janus is in the e2e test."""

import itertools

from streams.janus import MediaError


class FakeSession:
    def __init__(self, gateway, on_event):
        self.gateway = gateway
        self.on_event = on_event
        self.id = next(gateway.ids)
        self.calls = []
        self.closed = False
        self.rooms = gateway.rooms

    async def ensure_room(self, room, secret, description):
        self.calls.append(("ensure_room", room, secret))
        self.rooms.setdefault(room, {"secret": secret, "publisher": None})

    async def destroy_room(self, room, secret):
        self.calls.append(("destroy_room", room, secret))
        if self.rooms.get(room, {}).get("secret") == secret:
            self.rooms.pop(room)

    async def publish(self, room, secret, feed, display, offer):
        self.calls.append(("publish", room, feed, offer["sdp"]))
        if self.gateway.fail_publish:
            raise MediaError("The live video server refused: test")
        self.rooms[room]["publisher"] = feed
        return {"type": "answer", "sdp": f"answer-to-{offer['sdp']}"}

    async def subscribe(self, room, secret, feed):
        self.calls.append(("subscribe", room, feed))
        if self.rooms.get(room, {}).get("secret") != secret:
            raise MediaError("The live video server refused: wrong pin")
        return {"type": "offer", "sdp": f"offer-for-session-{self.id}"}

    async def start(self, answer):
        self.calls.append(("start", answer["sdp"]))

    async def trickle(self, candidate):
        self.calls.append(("trickle", candidate))

    async def close(self):
        self.closed = True
        self.calls.append(("close",))

    async def emit(self, kind, data=None):
        """Play Janus: deliver an event to this session's consumer."""
        await self.on_event(kind, data or {})


class FakeGateway:
    def __init__(self):
        self.sessions: list[FakeSession] = []
        self.rooms: dict = {}
        self.ids = itertools.count(1)
        self.fail_publish = False
        self.unreachable = False

    async def open(self, on_event):
        if self.unreachable:
            raise MediaError("The live video server is unreachable right now.")
        session = FakeSession(self, on_event)
        self.sessions.append(session)
        return session
