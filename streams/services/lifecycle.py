"""A stream's life: go live, publishing on/off, heartbeats, end (by the reader, staff, a lost media server or a
reader who vanished)."""

from __future__ import annotations

import logging
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from accounts import services as accounts_services
from accounts.models import ReaderProfile, User
from community.services.notifications import notify_many
from streams.models import Stream, StreamConnection
from streams.services import events

log = logging.getLogger(__name__)

TITLE_MIN = 3


class StreamError(Exception):
    """A stream operation was refused. The message is safe to show to the user."""


END_MESSAGES = {
    Stream.EndReason.READER: "The reader ended the stream. Thank you for watching!",
    Stream.EndReason.STAFF: "This stream was ended by the SoulSeer team.",
    Stream.EndReason.MEDIA: "The live video server restarted, so the stream has ended. The reader can go live again.",
    Stream.EndReason.STALE: "The reader's connection was lost, so the stream has ended.",
}


def _room_number() -> int:
    # Janus room and feed ids are unsigned 64-bit; stay below 2**53 so any JSON parser keeps them exact.
    return secrets.randbelow(2**52) + 1


def pick_janus_url(candidates: list[str] | None = None) -> str:
    """The least-loaded Janus server (fewest live streams pinned to it; ties: the order of JANUS_URLS).

    ``candidates`` narrows the choice (e.g. to the servers that answered a ping); empty means no video.
    """
    urls = list(settings.JANUS_URLS if candidates is None else candidates)
    if not urls:
        return ""
    load = dict(
        Stream.objects.filter(status=Stream.Status.LIVE, janus_url__in=urls)
        .values_list("janus_url")
        .annotate(n=Count("pk"))
    )
    return min(urls, key=lambda url: (load.get(url, 0), urls.index(url)))


def clean_text(value, *, what: str, max_length: int, min_length: int = 0) -> str:
    """Shared by forms and services: refuses NUL bytes and invalid unicode, trims, checks length."""
    if not isinstance(value, str):
        raise StreamError(f"{what} must be text.")
    if "\x00" in value:
        raise StreamError(f"{what} contains a NUL character; please remove it.")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise StreamError(f"{what} contains invalid characters.") from None
    value = value.strip()
    if len(value) < min_length:
        raise StreamError(f"{what} is too short." if min_length > 1 else f"{what} cannot be empty.")
    if len(value) > max_length:
        raise StreamError(f"{what} can be at most {max_length} characters.")
    return value


def go_live(
    reader: User,
    *,
    title: str,
    description: str = "",
    category: str = Stream.Category.GENERAL,
    janus_urls: list[str] | None = None,
    now: datetime | None = None,
) -> Stream:
    """Start ``reader``'s live stream (one at a time, a database constraint) and tell their fans.

    ``janus_urls``: the media servers to choose from (default ``JANUS_URLS``); none means the stream
    runs without live video (chat and gifts still work) and its pages say so.
    """
    if not getattr(reader, "is_reader", False) or not hasattr(reader, "reader_profile"):
        raise StreamError("Only readers can go live.")
    title = clean_text(title, what="The title", max_length=120, min_length=TITLE_MIN)
    description = clean_text(description or "", what="The description", max_length=1000)
    if category not in Stream.Category.values:
        raise StreamError("Choose a category from the list.")
    now = now or timezone.now()
    url = pick_janus_url(janus_urls)
    profile = reader.reader_profile
    try:
        with transaction.atomic():
            stream = Stream.objects.create(
                reader=reader,
                title=title,
                description=description,
                category=category,
                started_at=now,
                janus_url=url,
                room_id=_room_number() if url else None,
                room_secret=secrets.token_urlsafe(24) if url else "",
                publisher_feed=_room_number() if url else None,
                publisher_seen_at=now,
            )
            if profile.availability == ReaderProfile.Availability.OFFLINE:
                # A reader on camera is there: the stream's "Private reading" button needs them online.
                accounts_services.set_availability(profile, ReaderProfile.Availability.ONLINE)
            link = reverse("streams:watch", args=[stream.pk])
            fans = accounts_services.fans_of(profile).exclude(pk=reader.pk)
            notify_many(fans, "stream_live", f"{profile.display_name} is live now: {title}", link)
            events.to_lobby()
    except IntegrityError:
        raise StreamError("You are already live. End that stream before starting another.") from None
    log.info("stream %s: %s went live (media %s)", stream.pk, reader.pk, url or "none")
    return stream


def can_moderate(stream_reader_id: int, user) -> bool:
    return bool(getattr(user, "is_authenticated", False) and (user.pk == stream_reader_id or user.is_staff))


def end_stream(stream: Stream | int, by: User | None = None, *, reason: str | None = None) -> Stream:
    """End a live stream (idempotent). ``by`` None is the system (lost media server, vanished reader)."""
    stream_id = stream if isinstance(stream, int) else stream.pk
    now = timezone.now()
    with transaction.atomic():
        stream = Stream.objects.select_for_update().get(pk=stream_id)
        if by is not None and not can_moderate(stream.reader_id, by):
            raise StreamError("Only the reader or the SoulSeer team can end this stream.")
        if stream.status == Stream.Status.ENDED:
            return stream
        if reason is None:
            reason = Stream.EndReason.READER if by is not None and by.pk == stream.reader_id else Stream.EndReason.STAFF
        stream.status = Stream.Status.ENDED
        stream.ended_at = now
        stream.end_reason = reason
        stream.ended_by = by
        stream.publishing = False
        stream.viewer_count = 0
        stream.save(update_fields=["status", "ended_at", "end_reason", "ended_by", "publishing", "viewer_count"])
        StreamConnection.objects.filter(stream=stream, left_at__isnull=True).update(left_at=now)
        events.to_stream(
            stream.pk,
            {
                "type": "ended",
                "reason": reason,
                "message": END_MESSAGES.get(reason, "The stream has ended."),
                "summary_url": reverse("streams:summary", args=[stream.pk]),
                "gift_total": f"{stream.gift_total:.2f}",
                "gift_count": stream.gift_count,
                "peak_viewers": stream.peak_viewers,
                "total_viewers": stream.total_viewers,
            },
        )
        events.to_lobby()
    log.info("stream %s ended (%s)", stream.pk, reason)
    return stream


def set_publishing(stream_id: int, publishing: bool) -> bool:
    """The reader's video reached Janus (or stopped). Viewers hear it and (re)subscribe. Returns changed."""
    with transaction.atomic():
        changed = (
            Stream.objects.filter(pk=stream_id, status=Stream.Status.LIVE)
            .exclude(publishing=publishing)
            .update(publishing=publishing)
        )
        if changed:
            events.to_stream(stream_id, {"type": "video", "state": "live" if publishing else "off"})
            events.to_lobby()
    return bool(changed)


def heartbeat(channel_names: list[str], now: datetime | None = None) -> None:
    """Mark these open sockets seen (one UPDATE); the reader's studio sockets also keep their stream fresh."""
    if not channel_names:
        return
    now = now or timezone.now()
    StreamConnection.objects.filter(channel_name__in=channel_names, left_at__isnull=True).update(seen_at=now)
    publishing_streams = StreamConnection.objects.filter(
        channel_name__in=channel_names, is_publisher=True, left_at__isnull=True
    ).values("stream_id")
    Stream.objects.filter(pk__in=publishing_streams, status=Stream.Status.LIVE).update(publisher_seen_at=now)


def end_stale_streams(now: datetime | None = None) -> int:
    """End live streams whose reader has had no page open for ``STREAMS_STALE_SECONDS`` (no ghost "live"
    badge after a crashed worker or a closed laptop); close sockets that stopped beating. Cheap when
    nothing is stale: one indexed query."""
    from streams.services.viewers import reap_stale_connections

    now = now or timezone.now()
    cutoff = now - timedelta(seconds=float(settings.STREAMS_STALE_SECONDS))
    stale = list(
        Stream.objects.filter(status=Stream.Status.LIVE)
        .filter(Q(publisher_seen_at__lt=cutoff) | Q(publisher_seen_at__isnull=True, started_at__lt=cutoff))
        .values_list("pk", flat=True)
    )
    ended = 0
    for stream_id in stale:
        with transaction.atomic():  # checked again under the row lock: the reader may just have come back
            stream = Stream.objects.select_for_update().filter(pk=stream_id, status=Stream.Status.LIVE).first()
            if stream is None or (stream.publisher_seen_at is not None and stream.publisher_seen_at >= cutoff):
                continue
            end_stream(stream.pk, None, reason=Stream.EndReason.STALE)
            ended += 1
    reap_stale_connections(now)
    return ended
