"""The room: who is connected, when each party was last heard, and the chat.

At most one socket per party (a new tab replaces the old one, which is told and closed). The
consumer calls these through ``database_sync_to_async``; each is one transaction under the
reading's row lock and ends by settling the billing clock (``billing.settle_locked``).
"""

from __future__ import annotations

import json
import logging
from datetime import datetime

from django.db import connection, transaction

from accounts.models import User
from payments import services as payments
from readings import conf, events
from readings.models import ChatMessage, Reading, ReadingConnection
from readings.services import billing
from readings.services.common import ReadingError, lock, money, now_or, state_payload
from soulseer.sql import bound_cursor, update_rows

log = logging.getLogger(__name__)


def mark_connected(reading_id: int, user: User, channel_name: str, now: datetime | None = None) -> dict | None:
    """A party opened the room socket. Returns the room state for them, or None when refused.

    The party's older socket (another tab, or one of a worker that died) is replaced: its channel
    is returned in ``replaced`` so the consumer can close it, and any gap since it was last heard
    is left unbilled.
    """
    now = now_or(now)
    with transaction.atomic():
        try:
            reading = lock(reading_id)
        except Reading.DoesNotExist:
            return None
        role = reading.role_of(user)
        if role is None or reading.status not in Reading.LIVE:
            return None
        mine = ReadingConnection.objects.filter(reading=reading, role=role)
        older = list(mine.values_list("channel_name", "seen_at"))
        if older:
            billing.account_gap(reading, max(seen for _, seen in older), now)
            mine.delete()
        ReadingConnection.objects.create(reading=reading, user=user, role=role, channel_name=channel_name, seen_at=now)
        events.to_reading(reading.pk, {"type": "peer", "event": "joined", "role": role, "channel": channel_name})
        billing.settle_locked(reading, now)
        if reading.status == Reading.Status.ENDED:
            return None
        peer = (
            ReadingConnection.objects.filter(reading=reading).exclude(role=role).values_list("channel_name", "seen_at")
        )
        peer_channels = [channel for channel, seen in peer if (now - seen).total_seconds() <= conf.stale_seconds()]
        state = state_payload(reading, now)
        if role == "client":
            state["client_balance"] = money(payments.balance(reading.client))
        return {
            "role": role,
            "peer_present": bool(peer_channels),
            "peer_channels": peer_channels,
            "replaced": [channel for channel, _ in older if channel != channel_name],
            "state": state,
            "type": reading.type,
        }


def mark_disconnected(reading_id: int, channel_name: str, now: datetime | None = None) -> None:
    """A party's room socket closed: billing pauses from now unless another socket of theirs took over."""
    now = now_or(now)
    with transaction.atomic():
        conn = ReadingConnection.objects.filter(channel_name=channel_name).first()
        if conn is None:
            return  # replaced by a newer socket of the same party, or the reading ended
        try:
            reading = lock(reading_id)
        except Reading.DoesNotExist:
            return
        deleted, _ = ReadingConnection.objects.filter(pk=conn.pk).delete()
        if not deleted or reading.status not in Reading.LIVE:
            return
        billing.settle_locked(reading, now)
        events.to_reading(reading.pk, {"type": "peer", "event": "left", "role": conn.role, "channel": channel_name})


def record_heard(heard: dict[str, datetime]) -> int:
    """When each of a process's room sockets was last heard from its browser, in one statement.

    Every daphne writes this for all its sockets every beat, on a thread that shares the
    interpreter with the sockets' event loop. On PostgreSQL the times therefore go as one JSON
    object (channel name → ISO time) that the server unpacks: 1.5 ms of Python for a thousand
    sockets, where one array parameter per column (``update_rows``) took 8.4 ms.
    """
    if not heard:
        return 0
    if connection.vendor != "postgresql":
        return update_rows(ReadingConnection, ["seen_at"], list(heard.items()), key="channel_name")
    table = connection.ops.quote_name(ReadingConnection._meta.db_table)
    with bound_cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} AS c SET seen_at = v.value::timestamptz "  # noqa: S608 (the model's table; values bound)
            "FROM json_each_text(%s::json) AS v WHERE c.channel_name = v.key",
            [json.dumps({channel: when.isoformat() for channel, when in heard.items()})],
        )
        return cursor.rowcount


def clean_text(text: str) -> str:
    """Refuse what the database cannot store or a person should not be sent: NUL and broken Unicode."""
    if "\x00" in text:
        raise ReadingError("Messages cannot contain the NUL character.")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ReadingError("That message has invalid characters (broken Unicode); please retype it.") from None
    return text


def post_message(reading_id: int, user: User, text: str, now: datetime | None = None) -> ChatMessage:
    """Store one chat line in the transcript and send it to the room."""
    now = now_or(now)
    text = clean_text((text or "").strip())
    if not text:
        raise ReadingError("Type a message first.")
    limit = conf.get("READINGS_CHAT_MAX_LENGTH")
    if len(text) > limit:
        raise ReadingError(f"Messages can be at most {limit} characters.")
    with transaction.atomic():
        reading = Reading.objects.select_related("client", "reader").get(pk=reading_id)
        role = reading.role_of(user)
        if role is None:
            raise ReadingError("You are not in this reading.")
        if reading.status not in Reading.LIVE:
            raise ReadingError("This reading has ended.")
        message = ChatMessage.objects.create(reading=reading, sender=user, text=text, sent_at=now)
        name = reading.client.public_name if role == "client" else reading.reader.public_name
        events.to_reading(
            reading.pk,
            {
                "type": "chat",
                "id": message.pk,
                "role": role,
                "name": name,
                "text": text,  # the browser inserts it with textContent; templates escape it
                "sent_at": now.isoformat(),
            },
        )
        return message
