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

log = logging.getLogger(__name__)


def reading_group(reading_id: int) -> str:
    return f"reading.{reading_id}"


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


PRESENCE_GROUP = "presence"


_loop: asyncio.AbstractEventLoop | None = None
_loop_lock = threading.Lock()


def _background_loop() -> asyncio.AbstractEventLoop:
    """One long-lived event loop thread per process for Redis broadcasts from plain sync code."""
    global _loop
    with _loop_lock:
        if _loop is None:
            _loop = asyncio.new_event_loop()
            threading.Thread(target=_loop.run_forever, name="readings-broadcast", daemon=True).start()
        return _loop


def _send(group: str, message: dict) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        if hasattr(layer, "hosts"):
            # channels-redis: reuse one loop (and its connection pool) instead of a new loop and a
            # new Redis connection per broadcast, as async_to_sync from the sweeper would make.
            future = asyncio.run_coroutine_threadsafe(layer.group_send(group, message), _background_loop())
            future.result(timeout=10)
        else:
            async_to_sync(layer.group_send)(group, message)  # in-memory: the server's own loop
    except Exception:  # a lost broadcast must never undo a committed operation
        log.exception("broadcast to %s failed", group)


def send_on_commit(group: str, message: dict) -> None:
    transaction.on_commit(partial(_send, group, message))


def to_reading(reading_id: int, payload: dict) -> None:
    """Send ``payload`` to both parties' room sockets (handler ``reading.event``)."""
    send_on_commit(reading_group(reading_id), {"type": "reading.event", "payload": payload})


def to_user(user_id: int, payload: dict) -> None:
    """Send ``payload`` to every open page of one person (NotificationConsumer ``notify``)."""
    send_on_commit(user_group(user_id), {"type": "notify", "payload": payload})
