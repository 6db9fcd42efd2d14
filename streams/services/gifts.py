"""Paid gifts: one ``payments.services.charge`` per click (key ``gift:<uuid>``, 70/30 split), totals, top gifters."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.templatetags.static import static
from django.utils import timezone

from accounts.models import User
from payments import services as payments
from streams.models import Gift, GiftType, Stream
from streams.services import events
from streams.services.lifecycle import StreamError
from streams.services.viewers import is_banned

TOP_GIFTERS = 5


@dataclass
class GiftResult:
    gift: Gift
    created: bool
    balance: Decimal


def catalog() -> list[GiftType]:
    return list(GiftType.objects.filter(active=True))


def gift_type_payload(gift_type: GiftType) -> dict:
    return {
        "slug": gift_type.slug,
        "name": gift_type.name,
        "price": f"{gift_type.price:.2f}",
        "image": static(gift_type.image),
        "animation": gift_type.animation,
    }


def top_gifters(stream: Stream, limit: int = TOP_GIFTERS) -> list[dict]:
    rows = (
        Gift.objects.filter(stream=stream)
        .values("sender_id")
        .annotate(total=Sum("amount"))
        .order_by("-total", "sender_id")[:limit]
    )
    users = User.objects.select_related("reader_profile", "client_profile").in_bulk([r["sender_id"] for r in rows])
    return [
        {"name": users[r["sender_id"]].public_name, "total": f"{payments.cents(r['total']):.2f}"}
        for r in rows
        if r["sender_id"] in users
    ]


def parse_key(value) -> str:
    """The browser's per-click id: a UUID, nothing else (the ledger key is ``gift:<uuid>``)."""
    try:
        return f"gift:{uuid.UUID(str(value))}"
    except (ValueError, TypeError, AttributeError):
        raise StreamError("That gift could not be sent (bad gift id); please try again.") from None


def send_gift(stream_id: int, sender: User, gift_slug, key) -> GiftResult:
    """Charge ``sender`` for a gift to the stream's reader and record it; broadcast after commit.

    The same key again (double click, retry) returns the first gift and moves no money. Refused when
    the stream is not live, the sender is not a client, is banned, or cannot afford it (the
    :class:`payments.InsufficientFunds` message is passed on).
    """
    if not getattr(sender, "is_authenticated", False):
        raise StreamError("Log in to send gifts.")
    key = parse_key(key)
    existing = Gift.objects.select_related("gift_type").filter(key=key).first()
    if existing is not None:
        if existing.sender_id != sender.pk:
            raise StreamError("That gift could not be sent (bad gift id); please try again.")
        return GiftResult(existing, False, payments.balance(sender))
    if not sender.is_client:
        raise StreamError("Gifts are sent from a client account.")
    gift_type = GiftType.objects.filter(slug=str(gift_slug)[:40], active=True).first() if gift_slug else None
    if gift_type is None:
        raise StreamError("That gift is not available.")
    stream = Stream.objects.select_related("reader", "reader__reader_profile").filter(pk=stream_id).first()
    if stream is None or stream.status != Stream.Status.LIVE:
        raise StreamError("This stream has ended; gifts can only be sent while it is live.")
    if is_banned(stream.reader_id, sender):
        raise StreamError("You cannot send gifts in this reader's streams.")
    with transaction.atomic():
        # The ledger locks the accounts; the stream row is locked last, by the UPDATE below, and only for
        # the end of this transaction, so gifts to one stream queue on the ledger's locks alone.
        movement = payments.charge(
            sender,
            stream.reader,
            gift_type.price,
            key=key,
            memo=f"Gift: {gift_type.name} from {sender.public_name} in the live stream “{stream.title}”"[:255],
            reference=f"stream:{stream.pk}",
        )
        if movement.client_id != sender.pk or movement.amount != gift_type.price:
            raise StreamError("That gift could not be sent (bad gift id); please try again.")
        try:
            with transaction.atomic():
                gift = Gift.objects.create(
                    stream=stream,
                    sender=sender,
                    gift_type=gift_type,
                    amount=gift_type.price,
                    key=key,
                    movement=movement,
                    created_at=timezone.now(),
                )
        except IntegrityError:
            # The same click raced itself: the other request recorded it (and the ledger moved once).
            gift = Gift.objects.select_related("gift_type").get(key=key)
            return GiftResult(gift, False, payments.balance(sender))
        # Re-checked under the row lock the UPDATE takes: a stream that ended meanwhile refuses the gift
        # and the whole transaction (the charge too) rolls back.
        updated = Stream.objects.filter(pk=stream.pk, status=Stream.Status.LIVE).update(
            gift_total=F("gift_total") + gift_type.price, gift_count=F("gift_count") + 1
        )
        if not updated:
            raise StreamError("This stream has ended; gifts can only be sent while it is live.")
        total, count = Stream.objects.filter(pk=stream.pk).values_list("gift_total", "gift_count").get()
        payload = {
            "type": "gift",
            "gift": {**gift_type_payload(gift_type), "id": gift.pk, "sender": sender.public_name},
            "gift_total": f"{total:.2f}",
            "gift_count": count,
        }
        events.to_stream_built(stream.pk, lambda: {**payload, "top": top_gifters(stream)})
    balance = payments.balance(sender)
    return GiftResult(gift, True, balance)
