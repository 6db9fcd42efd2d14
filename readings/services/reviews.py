"""After a reading: the client's review, and staff refunds of minutes."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Avg, Count

from accounts.models import ReaderProfile, User
from payments import services as payments
from readings.models import Reading, Review
from readings.services.common import ReadingError, Status, lock, now_or


def leave_review(reading: Reading, client: User, rating: int, comment: str = "") -> Review:
    """The client's one review of a reading they had; updates the reader's average and count."""
    if not isinstance(rating, int) or not 1 <= rating <= 5:
        raise ReadingError("Choose from 1 to 5 stars.")
    with transaction.atomic():
        reading = lock(reading)
        if reading.client_id != client.pk:
            raise ReadingError("Only the client of a reading can review it.")
        if reading.status != Status.ENDED or reading.started_at is None:
            raise ReadingError("You can review a reading once it has taken place.")
        if Review.objects.filter(reading=reading).exists():
            raise ReadingError("You have already reviewed this reading.")
        try:
            with transaction.atomic():
                review = Review.objects.create(
                    reading=reading, client=client, reader=reading.reader, rating=rating, comment=comment.strip()
                )
        except IntegrityError as exc:
            raise ReadingError("You have already reviewed this reading.") from exc
        recompute_rating(reading.reader_id)
        return review


def recompute_rating(reader_id: int) -> None:
    """A reader's cached average and count, computed from their stored reviews (row locked)."""
    with transaction.atomic():
        profile = ReaderProfile.objects.select_for_update().filter(user_id=reader_id).first()
        if profile is None:
            return
        stats = Review.objects.filter(reader_id=reader_id).aggregate(avg=Avg("rating"), n=Count("pk"))
        profile.rating_average = Decimal(str(stats["avg"] or 0)).quantize(Decimal("0.01"))
        profile.review_count = stats["n"]
        profile.save(update_fields=["rating_average", "review_count"])


REVIEW_REPLY_MAX_LENGTH = 1000


def reply_to_review(review: Review, reader: User, text: str, now: datetime | None = None) -> Review:
    """The reviewed reader's one public reply to a review. It cannot be edited or replaced."""
    text = (text or "").strip()
    if not text:
        raise ReadingError("Write your reply first.")
    if len(text) > REVIEW_REPLY_MAX_LENGTH:
        raise ReadingError(f"Replies can be at most {REVIEW_REPLY_MAX_LENGTH} characters.")
    if review.reader_id != reader.pk or not reader.is_reader:
        raise ReadingError("Only the reader who was reviewed can reply.")
    now = now_or(now)
    with transaction.atomic():
        claimed = Review.objects.filter(pk=review.pk, replied_at__isnull=True).update(reply=text, replied_at=now)
        if not claimed:
            raise ReadingError("You have already replied to this review.")
    review.reply, review.replied_at = text, now
    return review


def refund_minutes(reading: Reading, minutes: int, by: User, reason: str) -> list:
    """Admin: refund the last ``minutes`` not yet refunded minutes of a reading, through payments."""
    if not by.is_staff:
        raise ReadingError("Only administrators can refund readings.")
    reading = Reading.objects.get(pk=reading.pk)
    if minutes < 1 or minutes > reading.billed_minutes:
        raise ReadingError(f"Choose between 1 and {reading.billed_minutes} minutes.")
    refunds = []
    with transaction.atomic():
        for n in range(reading.billed_minutes, 0, -1):
            if len(refunds) == minutes:
                break
            movement = payments.movement_for_key(f"reading:{reading.pk}:minute:{n}")
            if movement is None or payments.refunded_amount(movement) >= movement.amount:
                continue
            refunds.append(
                payments.refund(
                    movement,
                    reason=reason or f"Reading #{reading.pk} refund, minute {n}",
                    by=by,
                    key=f"refund:reading:{reading.pk}:minute:{n}",
                )
            )
        Reading.objects.filter(pk=reading.pk).update(disputed=True)
    if not refunds:
        raise ReadingError("Those minutes are already refunded.")
    return refunds
