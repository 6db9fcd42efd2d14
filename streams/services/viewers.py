"""Who is watching: one row per open stream page; counts are distinct people (a person's two tabs count once)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Greatest
from django.utils import timezone

from streams.models import Stream, StreamConnection, StreamRestriction
from streams.services import events


class Banned(Exception):
    """This person is banned from the reader's streams."""


def viewer_key(user, session_key: str | None, channel_name: str) -> str:
    if getattr(user, "is_authenticated", False):
        return f"u{user.pk}"
    return f"a{(session_key or channel_name)[:70]}"


def is_banned(reader_id: int, user) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return StreamRestriction.objects.filter(
        reader_id=reader_id, user_id=user.pk, kind=StreamRestriction.Kind.BAN
    ).exists()


def _recount(stream: Stream) -> None:
    """Recompute the current, peak and total viewer figures of a locked live stream; broadcast a change."""
    watchers = StreamConnection.objects.filter(stream=stream, is_publisher=False)
    current = watchers.filter(left_at__isnull=True).values("viewer_key").distinct().count()
    total = watchers.values("viewer_key").distinct().count()
    if current == stream.viewer_count and total == stream.total_viewers:
        return
    Stream.objects.filter(pk=stream.pk).update(
        viewer_count=current, total_viewers=total, peak_viewers=Greatest("peak_viewers", current)
    )
    if current != stream.viewer_count:
        events.to_stream(stream.pk, {"type": "viewers", "count": current})
        events.to_lobby()
    stream.viewer_count, stream.total_viewers = current, total
    stream.peak_viewers = max(stream.peak_viewers, current)


def join(stream_id: int, user, channel_name: str, key: str, now: datetime | None = None) -> Stream | None:
    """An open page joins a live stream (the reader's own page is the publisher, not a viewer).

    Returns the stream, or None when it is not live. Raises :class:`Banned`.
    """
    now = now or timezone.now()
    with transaction.atomic():
        stream = Stream.objects.select_for_update().filter(pk=stream_id).first()
        if stream is None or stream.status != Stream.Status.LIVE:
            return None
        is_publisher = getattr(user, "is_authenticated", False) and user.pk == stream.reader_id
        if not is_publisher and is_banned(stream.reader_id, user):
            raise Banned
        StreamConnection.objects.update_or_create(
            channel_name=channel_name,
            defaults={
                "stream": stream,
                "user": user if getattr(user, "is_authenticated", False) else None,
                "viewer_key": key,
                "is_publisher": is_publisher,
                "joined_at": now,
                "seen_at": now,
                "left_at": None,
            },
        )
        if is_publisher:
            Stream.objects.filter(pk=stream.pk).update(publisher_seen_at=now)
        else:
            _recount(stream)
    return stream


def leave(channel_name: str, now: datetime | None = None) -> None:
    now = now or timezone.now()
    with transaction.atomic():
        connection = StreamConnection.objects.filter(channel_name=channel_name, left_at__isnull=True).first()
        if connection is None:
            return
        stream = Stream.objects.select_for_update().get(pk=connection.stream_id)
        StreamConnection.objects.filter(pk=connection.pk).update(left_at=now)
        if stream.status == Stream.Status.LIVE and not connection.is_publisher:
            _recount(stream)


def reap_stale_connections(now: datetime | None = None) -> int:
    """Close rows of sockets that stopped beating (their process died) and recount their streams."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=3 * float(settings.STREAMS_HEARTBEAT_SECONDS))
    stale = StreamConnection.objects.filter(left_at__isnull=True, seen_at__lt=cutoff)
    stream_ids = set(stale.values_list("stream_id", flat=True))
    if not stream_ids:
        return 0
    closed = 0
    for stream_id in stream_ids:
        with transaction.atomic():
            stream = Stream.objects.select_for_update().get(pk=stream_id)
            closed += StreamConnection.objects.filter(
                Q(stream=stream), left_at__isnull=True, seen_at__lt=cutoff
            ).update(left_at=now)
            if stream.status == Stream.Status.LIVE:
                _recount(stream)
    return closed
