"""Broadcasts to the browsers. Only the service layer calls these, and only after commit.

``send_on_commit`` queues a ``group_send`` for when the current transaction commits, so nobody
hears of a charge or a state change that rolled back.
"""

import asyncio
import logging
import threading
from functools import partial

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from soulseer.channel_layer import RedisLayer

log = logging.getLogger(__name__)


def reading_group(reading_id: int) -> str:
    return f"reading.{reading_id}"


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


PRESENCE_GROUP = "presence"


class _Outbox:
    """Redis broadcasts from plain sync code (a database thread, the sweeper), off the caller's path.

    One long-lived event loop thread per process owns the layer's connection pool. Callers only
    enqueue (after commit), so a batch of hundreds of charges never waits for hundreds of Redis
    round trips under its locks; the sender takes up to ``LOT`` queued messages at a time and sends
    them in order, pipelined (``RedisLayer.group_send_many``: one Redis round trip per lot, not one
    per message).
    """

    LOT = 500

    def __init__(self):
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        threading.Thread(target=self._run, name="readings-broadcast", daemon=True).start()
        self.ready.wait()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.queue: asyncio.Queue = asyncio.Queue()
        self.loop.create_task(self._send_forever())
        self.ready.set()
        self.loop.run_forever()

    def put(self, group: str, message: dict) -> None:
        self.loop.call_soon_threadsafe(self.queue.put_nowait, (group, message))

    def drain(self, timeout: float = 30.0) -> None:
        """Wait until everything queued so far is sent (the sweeper does, after each pass)."""
        asyncio.run_coroutine_threadsafe(self.queue.join(), self.loop).result(timeout)

    async def _send_forever(self) -> None:
        while True:
            lot = [await self.queue.get()]
            while len(lot) < self.LOT and not self.queue.empty():
                lot.append(self.queue.get_nowait())
            try:
                await get_channel_layer().group_send_many(lot)
            except Exception:  # a lost broadcast must never undo a committed operation
                log.exception("broadcasting %s message(s) failed", len(lot))
            for _ in lot:
                self.queue.task_done()


_outbox: _Outbox | None = None
_outbox_lock = threading.Lock()


def _redis_outbox() -> _Outbox:
    global _outbox
    with _outbox_lock:
        if _outbox is None:
            _outbox = _Outbox()
        return _outbox


def _send(group: str, message: dict) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    if isinstance(layer, RedisLayer):
        _redis_outbox().put(group, message)
        return
    try:
        async_to_sync(layer.group_send)(group, message)  # in-memory: the server's own loop
    except Exception:  # a lost broadcast must never undo a committed operation
        log.exception("broadcast to %s failed", group)


def drain(timeout: float = 30.0) -> None:
    """Block until every broadcast queued by this process has gone out (no-op without Redis)."""
    if _outbox is not None:
        _outbox.drain(timeout)


def send_on_commit(group: str, message: dict) -> None:
    transaction.on_commit(partial(_send, group, message))


def to_reading(reading_id: int, payload: dict) -> None:
    """Send ``payload`` to both parties' room sockets (handler ``reading.event``)."""
    send_on_commit(reading_group(reading_id), {"type": "reading.event", "payload": payload})


def to_user(user_id: int, payload: dict) -> None:
    """Send ``payload`` to every open page of one person (NotificationConsumer ``notify``)."""
    send_on_commit(user_group(user_id), {"type": "notify", "payload": payload})
