import asyncio
import contextlib

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings

from accounts import services

TAB_HEARTBEAT_SECONDS = 30
_pending_checks: set[asyncio.Task] = set()


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


class NotificationConsumer(AsyncJsonWebsocketConsumer):
    """A signed-in person's own channel: the server pushes notifications (e.g. a reading request).

    It only ever receives events sent to ``user.<id>`` of the person it authenticated, and the
    ``presence`` group (availability badges); nothing a browser sends here is acted on. A reader's
    open pages are counted for presence: when the last one closes and none comes back within
    ``READINGS_PRESENCE_GRACE_SECONDS``, the reader goes offline (the sweeper checks too).
    """

    heartbeat: asyncio.Task | None = None

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
        if user.is_reader:
            await database_sync_to_async(services.reader_tab_event)(services.reader_tab_opened, user, self.channel_name)
            self.heartbeat = asyncio.ensure_future(self._beat())

    async def _beat(self):
        while True:
            await asyncio.sleep(TAB_HEARTBEAT_SECONDS)
            await database_sync_to_async(services.reader_tab_event)(
                services.reader_tab_alive, self.user, self.channel_name
            )

    async def disconnect(self, code):
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)
            await self.channel_layer.group_discard(services.PRESENCE_GROUP, self.channel_name)
        if self.heartbeat is not None:
            self.heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self.heartbeat
            self.heartbeat = None
            await database_sync_to_async(services.reader_tab_event)(
                services.reader_tab_closed, self.user, self.channel_name
            )
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
    await database_sync_to_async(services.reader_tab_event)(services.reader_presence_check, user)
