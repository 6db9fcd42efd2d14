"""A reading's life outside the billing clock: request, answer, expire, end.

``requested → accepted → active → ended``, or ``declined`` / ``expired`` / ``cancelled``.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.urls import reverse

from accounts.models import ReaderProfile, User
from community.services.notifications import notify
from payments import services as payments
from readings import conf, events
from readings.models import Reading, ReadingConnection
from readings.services.common import (
    END_MESSAGES,
    ReadingError,
    Status,
    lock,
    money,
    now_or,
    reverse_summary,
    set_reader_availability,
    summary,
)

log = logging.getLogger(__name__)


def minimum_to_start(rate: Decimal) -> Decimal:
    """What a client must hold to start a reading at ``rate``: the minimum minutes, and at least the floor."""
    return max(conf.min_start_balance(), rate * conf.get("READINGS_MIN_MINUTES"))


@dataclass(frozen=True)
class Affordability:
    """Whether a client's wallet can start one reading type with one reader (the one rule for both
    the profile's buttons and ``request_reading``)."""

    ok: bool
    needed: Decimal  # the least balance that starts it
    balance: Decimal
    rate: Decimal | None
    reason: str = ""  # why not, safe to show; "" when ok

    @property
    def shortfall(self) -> Decimal:
        return max(Decimal("0.00"), self.needed - self.balance)


def affordability(
    client: User, profile: ReaderProfile, reading_type: str, balance: Decimal | None = None
) -> Affordability:
    """Can ``client`` afford to start a ``reading_type`` reading with ``profile`` now?

    Pass ``balance`` when it is already known (a page deciding many buttons reads it once).
    """
    rate = profile.rate_for(reading_type) if reading_type in Reading.Type.values else None
    balance = payments.balance(client) if balance is None else balance
    if rate is None:
        reason = f"This reader does not offer {reading_type} readings."
        return Affordability(False, Decimal("0.00"), balance, None, reason)
    needed = minimum_to_start(rate)
    if balance >= needed:
        return Affordability(True, needed, balance, rate)
    minutes = conf.get("READINGS_MIN_MINUTES")
    reason = (
        f"You need at least ${money(needed)} to start a {reading_type} reading at ${money(rate)}/min "
        f"({minutes} minutes, minimum ${money(conf.min_start_balance())}); your balance is ${money(balance)}. "
        "Add funds to your wallet first."
    )
    return Affordability(False, needed, balance, rate, reason)


def _check_request_limits(client: User, reader: User, now: datetime) -> None:
    """The request button's abuse limits: a cooldown after cancelling, and a cap per hour."""
    cooldown = timedelta(seconds=conf.get("READINGS_REREQUEST_COOLDOWN_SECONDS"))
    cancelled = (
        Reading.objects.filter(client=client, reader=reader, status=Status.CANCELLED, ended_at__gt=now - cooldown)
        .order_by("-ended_at")
        .values_list("ended_at", flat=True)
        .first()
    )
    if cancelled is not None:
        wait = math.ceil((cancelled + cooldown - now).total_seconds())
        raise ReadingError(f"You cancelled a request to this reader just now. You can ask again in {wait} s.")
    per_hour = conf.get("READINGS_MAX_REQUESTS_PER_HOUR")
    if Reading.objects.filter(client=client, requested_at__gt=now - timedelta(hours=1)).count() >= per_hour:
        raise ReadingError(f"You can send at most {per_hour} reading requests an hour. Please try again later.")


def request_reading(client: User, profile: ReaderProfile, reading_type: str, now: datetime | None = None) -> Reading:
    """A client asks a reader for a reading of ``reading_type``; the rate is fixed here."""
    now = now_or(now)
    if not (client.is_authenticated and client.is_client and client.is_active):
        raise ReadingError("Only client accounts can request readings.")
    if reading_type not in Reading.Type.values:
        raise ReadingError("Choose chat, voice or video.")
    reader = profile.user
    if reader.pk == client.pk:
        raise ReadingError("You cannot request a reading from yourself.")
    expire_stale_requests(now, users=[client.pk, reader.pk])
    with transaction.atomic():
        profile = ReaderProfile.objects.select_for_update().select_related("user").get(pk=profile.pk)
        reader = profile.user
        if not (reader.is_active and reader.is_reader):
            raise ReadingError("This reader is not available.")
        if profile.availability != ReaderProfile.Availability.ONLINE:
            raise ReadingError(f"{profile.display_name} is not online right now. Try again when they are.")
        rate = profile.rate_for(reading_type)
        if rate is None:
            raise ReadingError(f"{profile.display_name} does not offer {reading_type} readings.")
        if Reading.objects.filter(client=client, status__in=Reading.OPEN).exists():
            raise ReadingError("You are already in a reading (or waiting for one). Finish it first.")
        if Reading.objects.filter(reader=reader, status__in=Reading.OPEN).exists():
            raise ReadingError(f"{profile.display_name} is in another reading right now.")
        _check_request_limits(client, reader, now)
        afford = affordability(client, profile, reading_type)
        if not afford.ok:
            raise ReadingError(afford.reason)
        try:
            with transaction.atomic():
                reading = Reading.objects.create(
                    client=client, reader=reader, type=reading_type, rate=rate, requested_at=now
                )
        except IntegrityError as exc:  # the partial unique constraints: someone got there first
            raise ReadingError("One of you is already in a reading. Try again in a moment.") from exc
        events.to_user(
            reader.pk,
            {
                "kind": "reading_request",
                "reading": reading.pk,
                "client": client.public_name,
                "reading_type": reading_type,
                "rate": money(rate),
                "timeout": conf.get("READINGS_REQUEST_TIMEOUT_SECONDS"),
                "url": reading.get_absolute_url(),
                "accept_url": reverse("readings:accept", args=[reading.pk]),
                "decline_url": reverse("readings:decline", args=[reading.pk]),
            },
        )
        log.info("reading %s requested by %s of %s", reading.pk, client.pk, reader.pk)
        return reading


def _answer(reading: Reading, new_status: str, now: datetime, *, notify_reader: bool = True) -> Reading:
    reading.status = new_status
    fields = ["status"]
    if new_status == Status.ACCEPTED:
        reading.accepted_at = now
        fields.append("accepted_at")
    else:
        reading.ended_at = now
        reading.end_reason = new_status
        fields += ["ended_at", "end_reason"]
    reading.save(update_fields=fields)
    payload = {"kind": f"reading_{new_status}", "reading": reading.pk, "url": reading.get_absolute_url()}
    events.to_user(reading.client_id, payload)
    if notify_reader:
        events.to_user(reading.reader_id, payload)
    return reading


def _expired(reading: Reading, now: datetime) -> bool:
    timeout = timedelta(seconds=conf.get("READINGS_REQUEST_TIMEOUT_SECONDS"))
    return reading.status == Status.REQUESTED and reading.requested_at + timeout <= now


def accept_reading(reading: Reading, reader: User, now: datetime | None = None) -> Reading:
    now = now_or(now)
    with transaction.atomic():
        reading = lock(reading)
        if reading.reader_id != reader.pk:
            raise ReadingError("This request is not yours to answer.")
        expired = _expired(reading, now)
        if expired:
            _answer(reading, Status.EXPIRED, now)  # committed, then refused below
        elif reading.status != Status.REQUESTED:
            raise ReadingError(f"This request is already {reading.get_status_display().lower()}.")
        else:
            _answer(reading, Status.ACCEPTED, now)
            set_reader_availability(reading.reader_id, ReaderProfile.Availability.BUSY)
    if expired:
        raise ReadingError("This request has expired.")
    return reading


def _refuse_answer(reading: Reading, user: User, party: str, verb: str) -> None:
    if getattr(reading, f"{party}_id") != user.pk:
        raise ReadingError(f"This request is not yours to {verb}.")
    if reading.status != Status.REQUESTED:
        raise ReadingError(f"This request is already {reading.get_status_display().lower()}.")


@transaction.atomic
def decline_reading(reading: Reading, reader: User, now: datetime | None = None) -> Reading:
    reading = lock(reading)
    _refuse_answer(reading, reader, "reader", "answer")
    return _answer(reading, Status.DECLINED, now_or(now))


@transaction.atomic
def cancel_reading(reading: Reading, client: User, now: datetime | None = None) -> Reading:
    reading = lock(reading)
    _refuse_answer(reading, client, "client", "cancel")
    return _answer(reading, Status.CANCELLED, now_or(now))


def expire_stale_requests(now: datetime | None = None, users: list[int] | None = None) -> int:
    """Expire requests nobody answered in time. Each row is claimed by a conditional UPDATE."""
    now = now_or(now)
    cutoff = now - timedelta(seconds=conf.get("READINGS_REQUEST_TIMEOUT_SECONDS"))
    stale = Reading.objects.filter(status=Status.REQUESTED, requested_at__lte=cutoff)
    if users:
        stale = stale.filter(client_id__in=users) | stale.filter(reader_id__in=users)
    count = 0
    for pk in list(stale.values_list("pk", flat=True)):
        with transaction.atomic():
            claimed = Reading.objects.filter(pk=pk, status=Status.REQUESTED).update(
                status=Status.EXPIRED, ended_at=now, end_reason="expired"
            )
            if claimed:
                reading = Reading.objects.select_related("client", "reader").get(pk=pk)
                payload = {"kind": "reading_expired", "reading": pk, "url": reading.get_absolute_url()}
                events.to_user(reading.client_id, payload)
                events.to_user(reading.reader_id, payload)
                _notify_missed(reading)
                count += 1
    return count


def _notify_missed(reading: Reading) -> None:
    """Tell the reader, through the notification centre, about a request that expired unanswered."""
    notify(
        reading.reader,
        "reading_missed",
        f"You missed a {reading.get_type_display().lower()} reading request from {reading.client.public_name}.",
        reverse("readings:history"),
    )


def end_locked(reading: Reading, now: datetime, *, reason: str, by: User | None) -> Reading:
    """End a live reading (``reading`` is locked): the clock stops, the room is told, the reader is free."""
    if reading.paused_at is not None:
        reading.paused_seconds += max(0.0, (now - reading.paused_at).total_seconds())
        reading.paused_at = None
    reading.duration_seconds = int(reading.billable_seconds(now))
    reading.status = Status.ENDED
    reading.ended_at = now
    reading.end_reason = reason
    reading.ended_by = by
    reading.away_role = ""
    reading.save()
    ReadingConnection.objects.filter(reading=reading).delete()
    set_reader_availability(reading.reader_id, ReaderProfile.Availability.ONLINE)
    payload = {
        "type": "ended",
        "reason": reason,
        "message": END_MESSAGES.get(reason, "The reading has ended."),
        "summary": summary(reading),
        "url": reverse_summary(reading.pk),
    }
    events.to_reading(reading.pk, payload)
    for user_id in (reading.client_id, reading.reader_id):
        events.to_user(user_id, {"kind": "reading_ended", "reading": reading.pk, "url": payload["url"]})
    log.info("reading %s ended (%s) after %s minutes", reading.pk, reason, reading.billed_minutes)
    return reading


def end_reading(reading: Reading | int, by: User | None, reason: str = "", now: datetime | None = None) -> Reading:
    """Either party (or an admin) ends a reading. Ending an ended reading changes nothing."""
    now = now_or(now)
    with transaction.atomic():
        reading = lock(reading)
        role = reading.role_of(by) if by else None
        if by is not None and role is None and not by.is_staff:
            raise ReadingError("This reading is not yours to end.")
        if reading.status == Status.REQUESTED:
            if role == "client":
                return _answer(reading, Status.CANCELLED, now)
            if role == "reader":
                return _answer(reading, Status.DECLINED, now)
        if reading.status not in Reading.LIVE:
            return reading
        return end_locked(reading, now, reason=reason or role or "admin", by=by)
