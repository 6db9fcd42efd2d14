import asyncio
import logging

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings

from accounts import services

log = logging.getLogger(__name__)

_pending_checks: set[asyncio.Task] = set()

# Every open page socket of this process, beaten together: one UPDATE per period per process.
_live_pages: set[str] = set()
_beaters: dict[asyncio.AbstractEventLoop, asyncio.Task] = {}


async def _beat_forever():
    beat = database_sync_to_async(services.pages_alive)
    while _live_pages:
        await asyncio.sleep(services.PAGE_HEARTBEAT_SECONDS)
        try:
            await beat(list(_live_pages))
        except Exception:
            log.exception("page heartbeat failed")


def _ensure_beater() -> None:
    loop = asyncio.get_running_loop()
    task = _beaters.get(loop)
    if task is None or task.done():
        _beaters.clear()  # tasks of loops that are gone (tests start one loop per test)
        _beaters[loop] = loop.create_task(_beat_forever())


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


class NotificationConsumer(AsyncJsonWebsocketConsumer):
    """A signed-in person's own channel: the server pushes notifications (e.g. a reading request).

    It only ever receives events sent to ``user.<id>`` of the person it authenticated, and the
    ``presence`` group (availability badges); nothing a browser sends here is acted on. Each open
    page is a ``PageConnection`` row (the person is "on the site"); for readers, when the last
    page closes and none comes back within ``READINGS_PRESENCE_GRACE_SECONDS``, they go offline.
    The row is released however the socket ends (``websocket_disconnect`` runs on close, and the
    ``finally`` in ``__call__`` covers an exception or a lost channel layer).
    """

    page_open = False

    async def __call__(self, scope, receive, send):
        try:
            await super().__call__(scope, receive, send)
        finally:
            if self.page_open:
                await self._release()

    async def connect(self):
        user = self.scope.get("user")
        if not user or not user.is_authenticated:
            await self.close(code=4401)
            return
        self.user = user
        self.group = user_group(user.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.channel_layer.group_add(services.PRESENCE_GROUP, self.channel_name)
        await self.accept()
        await database_sync_to_async(services.page_opened)(user, self.channel_name)
        self.page_open = True
        _live_pages.add(self.channel_name)
        _ensure_beater()

    async def disconnect(self, code):
        if hasattr(self, "group"):
            try:
                await self.channel_layer.group_discard(self.group, self.channel_name)
                await self.channel_layer.group_discard(services.PRESENCE_GROUP, self.channel_name)
            except Exception:  # the layer itself may be what failed; the page row is released anyway
                log.warning("could not leave groups for %s", self.channel_name)
        if self.page_open:
            await self._release()

    async def _release(self):
        self.page_open = False
        _live_pages.discard(self.channel_name)
        await database_sync_to_async(services.page_closed)(self.channel_name)
        if self.user.is_reader:
            task = asyncio.ensure_future(_check_later(self.user))
            _pending_checks.add(task)
            task.add_done_callback(_pending_checks.discard)

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        """Nothing a browser sends here is acted on: ignore it (bad JSON or binary must not close with 1011)."""

    async def notify(self, event):
        await self.send_json(event["payload"])


async def _check_later(user):
    """After the grace period, ask whether the reader still has an open page (the DB decides)."""
    await asyncio.sleep(float(getattr(settings, "READINGS_PRESENCE_GRACE_SECONDS", 30)) + 1)
    await database_sync_to_async(services.check_reader_presence)(user)
