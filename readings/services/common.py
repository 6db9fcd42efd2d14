"""What every readings use case shares: the refusal error, locking, and what a room is told."""

from __future__ import annotations

from datetime import datetime

from django.urls import reverse
from django.utils import timezone

from accounts import services as accounts_services
from accounts.models import ReaderProfile
from readings import conf
from readings.models import Reading

Status = Reading.Status


class ReadingError(Exception):
    """A refused operation; the message is safe to show to the person who tried it."""


def now_or(now: datetime | None) -> datetime:
    return now or timezone.now()


def money(value) -> str:
    return f"{value:.2f}"


def lock(reading: Reading | int) -> Reading:
    """The reading row, locked (always the first lock taken: reading, then the wallet in payments)."""
    pk = reading if isinstance(reading, int) else reading.pk
    return Reading.objects.select_for_update().select_related("client", "reader").get(pk=pk)


def set_reader_availability(reader_id: int, availability: str) -> None:
    profile = ReaderProfile.objects.filter(user_id=reader_id).first()
    if profile is not None and profile.availability != availability:
        accounts_services.set_availability(profile, availability)


def state_payload(reading: Reading, now: datetime | None = None) -> dict:
    """What a room shows: status, clock, minutes, cost and the reader's earnings, all the server's numbers.

    ``client_balance`` (added by callers) is stripped for readers by the consumer.
    """
    now = now_or(now)
    return {
        "type": "billing",
        "status": reading.status,
        "elapsed": round(reading.billable_seconds(now), 1),
        "paused": reading.paused_at is not None,
        "away": reading.away_role,
        "minutes": reading.billed_minutes,
        "rate": money(reading.rate),
        "cost": money(reading.total_charged),
        "reader_share": money(reading.reader_share),
        "minute_seconds": conf.minute_seconds(),
    }


def summary(reading: Reading) -> dict:
    return {
        "duration_seconds": reading.duration_seconds,
        "minutes": reading.billed_minutes,
        "rate": money(reading.rate),
        "total": money(reading.total_charged),
        "reader_share": money(reading.reader_share),
        "platform_share": money(reading.platform_share()),
        "end_reason": reading.end_reason,
    }


def reverse_summary(reading_id: int) -> str:
    return reverse("readings:summary", args=[reading_id])


END_MESSAGES = {
    "client": "The client ended the reading.",
    "reader": "The reader ended the reading.",
    "balance": "The reading ended because the client's balance cannot pay for the next minute.",
    "disconnected": "The reading ended because a party did not reconnect in time.",
    "no_show": "The reading ended because a party never joined the room.",
    "admin": "An administrator ended the reading.",
}

ROLE_NAMES = {"client": "client", "reader": "reader"}
