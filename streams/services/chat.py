"""Stream chat and its moderation: post, delete, mute and ban (from all of one reader's streams), lift."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from streams.models import Stream, StreamMessage, StreamRestriction
from streams.services import events
from streams.services.lifecycle import StreamError, can_moderate, clean_text

HISTORY = 50  # messages shown when a page opens


def sender_role(stream: Stream, user: User) -> str:
    if user.pk == stream.reader_id:
        return "reader"
    return "staff" if user.is_staff else "viewer"


def message_payload(message: StreamMessage, stream: Stream) -> dict:
    return {
        "id": message.pk,
        "sender": message.sender.public_name,
        "sender_id": message.sender_id,
        "role": sender_role(stream, message.sender),
        "text": message.text,
        "at": message.created_at.isoformat(),
    }


def recent_messages(stream: Stream, limit: int = HISTORY) -> list[StreamMessage]:
    qs = stream.messages.filter(deleted_at__isnull=True).select_related(
        "sender", "sender__reader_profile", "sender__client_profile"
    )
    return list(reversed(qs.order_by("-created_at", "-pk")[:limit]))


def restrictions_of(reader_id: int, user) -> set[str]:
    if not getattr(user, "is_authenticated", False):
        return set()
    return set(StreamRestriction.objects.filter(reader_id=reader_id, user_id=user.pk).values_list("kind", flat=True))


def post_chat(stream_id: int, user: User, text) -> StreamMessage:
    """Post ``text`` (plain text, escaped by every page that shows it) to a live stream's chat."""
    if not getattr(user, "is_authenticated", False):
        raise StreamError("Log in to chat.")
    text = clean_text(text, what="Your message", max_length=settings.STREAMS_CHAT_MAX_LENGTH, min_length=1)
    with transaction.atomic():
        stream = Stream.objects.filter(pk=stream_id).first()
        if stream is None or stream.status != Stream.Status.LIVE:
            raise StreamError("This stream has ended; the chat is closed.")
        if user.pk != stream.reader_id and restrictions_of(stream.reader_id, user):
            raise StreamError("You have been muted in this reader's streams.")
        message = StreamMessage.objects.create(stream=stream, sender=user, text=text, created_at=timezone.now())
        events.to_stream(stream.pk, {"type": "chat", "message": message_payload(message, stream)})
    return message


def delete_message(message_id: int, by: User) -> StreamMessage:
    with transaction.atomic():
        message = StreamMessage.objects.select_related("stream").filter(pk=message_id).first()
        if message is None:
            raise StreamError("That message no longer exists.")
        if not can_moderate(message.stream.reader_id, by):
            raise StreamError("Only the reader or the SoulSeer team can delete messages.")
        if message.deleted_at is None:
            StreamMessage.objects.filter(pk=message.pk).update(deleted_at=timezone.now(), deleted_by=by)
            events.to_stream(message.stream_id, {"type": "chat_deleted", "id": message.pk})
    return message


def restrict(reader: User, target: User, kind: str, by: User) -> StreamRestriction:
    """Mute (no chat) or ban (no watching) ``target`` from all of ``reader``'s streams. Idempotent."""
    if kind not in StreamRestriction.Kind.values:
        raise StreamError("Choose mute or ban.")
    if not can_moderate(reader.pk, by):
        raise StreamError("Only the reader or the SoulSeer team can mute or ban viewers.")
    if target.pk == reader.pk or target.is_staff:
        raise StreamError("The reader and the SoulSeer team cannot be muted or banned.")
    with transaction.atomic():
        restriction, created = StreamRestriction.objects.get_or_create(
            reader=reader, user=target, kind=kind, defaults={"created_by": by}
        )
        if created:
            live = Stream.objects.filter(reader=reader, status=Stream.Status.LIVE).values_list("pk", flat=True)
            for stream_id in live:
                events.to_stream(
                    stream_id, {"type": "restricted", "kind": kind, "user_id": target.pk, "name": target.public_name}
                )
    return restriction


def lift(reader: User, target_id: int, kind: str, by: User) -> bool:
    if not can_moderate(reader.pk, by):
        raise StreamError("Only the reader or the SoulSeer team can lift a mute or ban.")
    deleted, _ = StreamRestriction.objects.filter(reader=reader, user_id=target_id, kind=kind).delete()
    return bool(deleted)
