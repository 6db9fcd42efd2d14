"""Readings use cases: one function per operation, each one transaction.

Views, the session consumer, admin actions and the ``bill_readings`` sweeper all call these;
nothing else changes a reading. Broadcasts go out only after commit (``readings.events``).

Lock order everywhere: the reading row, then (inside ``payments``) the wallet.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Avg, Count
from django.urls import reverse
from django.utils import timezone

from accounts import services as accounts_services
from accounts.models import ReaderProfile, User
from community.services.notifications import notify
from payments import services as payments
from readings import conf, events
from readings.models import ChatMessage, Reading, ReadingConnection, Review

log = logging.getLogger(__name__)

Status = Reading.Status


class ReadingError(Exception):
    """A refused operation; the message is safe to show to the person who tried it."""


@dataclass(frozen=True)
class ChargeOutcome:
    charged: int = 0  # minutes charged by this call
    ended: bool = False  # the reading ended (balance ran out)
    warning: bool = False  # a low-balance warning is due


# --- helpers --------------------------------------------------------------------------------


def _now(now: datetime | None) -> datetime:
    return now or timezone.now()


def _money(value: Decimal) -> str:
    return f"{value:.2f}"


def _lock(reading: Reading | int) -> Reading:
    pk = reading if isinstance(reading, int) else reading.pk
    return Reading.objects.select_for_update().select_related("client", "reader").get(pk=pk)


def _expired(reading: Reading, now: datetime) -> bool:
    timeout = timedelta(seconds=conf.get("READINGS_REQUEST_TIMEOUT_SECONDS"))
    return reading.status == Status.REQUESTED and reading.requested_at + timeout <= now


def _set_reader_availability(reader_id: int, availability: str) -> None:
    profile = ReaderProfile.objects.filter(user_id=reader_id).first()
    if profile is not None and profile.availability != availability:
        accounts_services.set_availability(profile, availability)


def state_payload(reading: Reading, now: datetime | None = None) -> dict:
    """What a room shows: status, clock, minutes, cost. ``client_balance`` is stripped for readers."""
    now = _now(now)
    return {
        "type": "billing",
        "status": reading.status,
        "elapsed": round(reading.billable_seconds(now), 1),
        "paused": reading.paused_at is not None,
        "minutes": reading.billed_minutes,
        "rate": _money(reading.rate),
        "cost": _money(reading.total_charged),
        "reader_share": _money(reading.reader_share),
        "minute_seconds": conf.minute_seconds(),
    }


def summary(reading: Reading) -> dict:
    return {
        "duration_seconds": reading.duration_seconds,
        "minutes": reading.billed_minutes,
        "rate": _money(reading.rate),
        "total": _money(reading.total_charged),
        "reader_share": _money(reading.reader_share),
        "end_reason": reading.end_reason,
    }


END_MESSAGES = {
    "client": "The client ended the reading.",
    "reader": "The reader ended the reading.",
    "balance": "The reading ended because the client's balance cannot pay for the next minute.",
    "disconnected": "The reading ended because a party did not reconnect in time.",
    "no_show": "The reading ended because a party never joined the room.",
    "admin": "An administrator ended the reading.",
}


# --- request / answer -------------------------------------------------------------------------


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


def minimum_to_start(rate: Decimal) -> Decimal:
    """The least wallet balance that starts a reading at ``rate``: the minimum minutes, and at least $5."""
    return max(conf.min_start_balance(), rate * conf.get("READINGS_MIN_MINUTES"))


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
        f"You need at least ${_money(needed)} to start a {reading_type} reading at ${_money(rate)}/min "
        f"({minutes} minutes, minimum ${_money(conf.min_start_balance())}); your balance is ${_money(balance)}. "
        "Add funds to your wallet first."
    )
    return Affordability(False, needed, balance, rate, reason)


def request_reading(client: User, profile: ReaderProfile, reading_type: str, now: datetime | None = None) -> Reading:
    """A client asks a reader for a reading of ``reading_type``; the rate is fixed here."""
    now = _now(now)
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
                "rate": _money(rate),
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


def accept_reading(reading: Reading, reader: User, now: datetime | None = None) -> Reading:
    now = _now(now)
    with transaction.atomic():
        reading = _lock(reading)
        if reading.reader_id != reader.pk:
            raise ReadingError("This request is not yours to answer.")
        expired = _expired(reading, now)
        if expired:
            _answer(reading, Status.EXPIRED, now)  # committed, then refused below
        elif reading.status != Status.REQUESTED:
            raise ReadingError(f"This request is already {reading.get_status_display().lower()}.")
        else:
            _answer(reading, Status.ACCEPTED, now)
            _set_reader_availability(reading.reader_id, ReaderProfile.Availability.BUSY)
    if expired:
        raise ReadingError("This request has expired.")
    return reading


@transaction.atomic
def decline_reading(reading: Reading, reader: User, now: datetime | None = None) -> Reading:
    now = _now(now)
    reading = _lock(reading)
    if reading.reader_id != reader.pk:
        raise ReadingError("This request is not yours to answer.")
    if reading.status != Status.REQUESTED:
        raise ReadingError(f"This request is already {reading.get_status_display().lower()}.")
    return _answer(reading, Status.DECLINED, now)


@transaction.atomic
def cancel_reading(reading: Reading, client: User, now: datetime | None = None) -> Reading:
    now = _now(now)
    reading = _lock(reading)
    if reading.client_id != client.pk:
        raise ReadingError("This request is not yours to cancel.")
    if reading.status != Status.REQUESTED:
        raise ReadingError(f"This request is already {reading.get_status_display().lower()}.")
    return _answer(reading, Status.CANCELLED, now)


def expire_stale_requests(now: datetime | None = None, users: list[int] | None = None) -> int:
    """Expire requests nobody answered in time. Each row is claimed by a conditional UPDATE."""
    now = _now(now)
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


# --- the room: who is connected ------------------------------------------------------------


def _present_roles(reading: Reading, now: datetime) -> set[str]:
    fresh = now - timedelta(seconds=conf.get("READINGS_STALE_CONNECTION_SECONDS"))
    return set(
        ReadingConnection.objects.filter(reading=reading, seen_at__gte=fresh).values_list("role", flat=True).distinct()
    )


def _sync_presence(reading: Reading, now: datetime) -> None:
    """Start, pause or resume the billing clock from who is connected. ``reading`` is locked."""
    present = _present_roles(reading, now)
    both = present >= {"client", "reader"}
    if reading.status == Status.ACCEPTED and both:
        reading.status = Status.ACTIVE
        reading.started_at = now
        reading.save(update_fields=["status", "started_at"])
        events.to_reading(reading.pk, {"type": "started"})
        _charge_locked(reading, now)
        return
    if reading.status != Status.ACTIVE:
        return
    if not both and reading.paused_at is None:
        reading.paused_at = now
        reading.save(update_fields=["paused_at"])
        events.to_reading(reading.pk, state_payload(reading, now))
    elif both and reading.paused_at is not None:
        reading.paused_seconds += max(0.0, (now - reading.paused_at).total_seconds())
        reading.paused_at = None
        reading.save(update_fields=["paused_seconds", "paused_at"])
        _charge_locked(reading, now)


def mark_connected(reading_id: int, user: User, channel_name: str, now: datetime | None = None) -> dict | None:
    """A party opened the room socket. Returns the room state for them, or None when refused."""
    now = _now(now)
    with transaction.atomic():
        try:
            reading = _lock(reading_id)
        except Reading.DoesNotExist:
            return None
        role = reading.role_of(user)
        if role is None or reading.status not in Reading.LIVE:
            return None
        ReadingConnection.objects.update_or_create(
            channel_name=channel_name, defaults={"reading": reading, "user": user, "role": role, "seen_at": now}
        )
        events.to_reading(reading.pk, {"type": "peer", "event": "joined", "role": role, "channel": channel_name})
        _sync_presence(reading, now)
        if reading.status == Status.ENDED:
            return None
        fresh = now - timedelta(seconds=conf.get("READINGS_STALE_CONNECTION_SECONDS"))
        peer_channels = list(
            ReadingConnection.objects.filter(reading=reading, seen_at__gte=fresh)
            .exclude(role=role)
            .values_list("channel_name", flat=True)
        )
        peer_present = bool(peer_channels)
        state = state_payload(reading, now)
        if role == "client":
            state["client_balance"] = _money(payments.balance(reading.client))
        return {
            "role": role,
            "peer_present": peer_present,
            "peer_channels": peer_channels,
            "state": state,
            "type": reading.type,
        }


def mark_disconnected(reading_id: int, channel_name: str, now: datetime | None = None) -> None:
    """A party's room socket closed: billing pauses if they have no other live socket."""
    now = _now(now)
    with transaction.atomic():
        conn = ReadingConnection.objects.filter(channel_name=channel_name).first()
        if conn is None:
            return
        try:
            reading = _lock(reading_id)
        except Reading.DoesNotExist:
            return
        role = conn.role
        ReadingConnection.objects.filter(pk=conn.pk).delete()
        if reading.status in Reading.LIVE:
            _sync_presence(reading, now)
            gone = role not in _present_roles(reading, now)
            events.to_reading(
                reading.pk, {"type": "peer", "event": "left", "role": role, "channel": channel_name, "gone": gone}
            )


def heartbeat(reading_id: int, channel_name: str, now: datetime | None = None) -> None:
    ReadingConnection.objects.filter(channel_name=channel_name, reading_id=reading_id).update(seen_at=_now(now))


def heartbeat_many(channel_names: list[str], now: datetime | None = None) -> int:
    """One process's room sockets are alive: one UPDATE per 500 sockets."""
    now = _now(now)
    updated = 0
    for i in range(0, len(channel_names), 500):
        updated += ReadingConnection.objects.filter(channel_name__in=channel_names[i : i + 500]).update(seen_at=now)
    return updated


def tick(reading_id: int, channel_name: str, now: datetime | None = None, *, beat: bool = True) -> tuple[str, float]:
    """The consumer's timer: heartbeat, charge what is due, end an abandoned reading.

    Returns the reading's status and how many seconds until something may be due (the next
    minute's start or the end of a reconnect grace, capped), so a room costs about one query
    a minute rather than one a second. Heartbeats are batched per process (``heartbeat_many``).
    """
    now = _now(now)
    heartbeat_every = float(conf.get("READINGS_TICK_MAX_SLEEP_SECONDS"))
    if beat:
        heartbeat(reading_id, channel_name, now)
    fields = ("status", "started_at", "paused_at", "paused_seconds", "billed_minutes", "ended_at", "accepted_at")
    reading = Reading.objects.filter(pk=reading_id).only(*fields).first()
    if reading is None:
        return Status.ENDED, heartbeat_every
    if reading.status == Status.ACTIVE and reading.paused_at is None:
        if _minutes_due(reading, now) > reading.billed_minutes:
            charge_due_minutes(reading_id, now)
            reading = Reading.objects.filter(pk=reading_id).only(*fields).first()
    elif _abandoned(reading, now):
        end_abandoned(now, reading_ids=[reading_id])
        reading = Reading.objects.filter(pk=reading_id).only(*fields).first()
    if reading.status == Status.ACTIVE and reading.paused_at is None:
        next_minute = reading.billed_minutes * conf.minute_seconds() - reading.billable_seconds(now)
        return reading.status, max(0.05, min(heartbeat_every, next_minute))
    if reading.status in Reading.LIVE:
        grace = float(conf.get("READINGS_RECONNECT_GRACE_SECONDS"))
        since = reading.paused_at or reading.accepted_at or now
        left = grace - (now - since).total_seconds()
        return reading.status, max(0.05, min(heartbeat_every, left))
    return reading.status, heartbeat_every


# --- billing --------------------------------------------------------------------------------


def _minutes_due(reading: Reading, now: datetime) -> int:
    """Minute n is due at its start: floor(billable / minute) + 1 while the clock runs."""
    if reading.status != Status.ACTIVE or reading.started_at is None:
        return reading.billed_minutes
    return math.floor(reading.billable_seconds(now) / conf.minute_seconds()) + 1


def _charge_locked(reading: Reading, now: datetime) -> ChargeOutcome:
    if reading.status != Status.ACTIVE or reading.paused_at is not None:
        return ChargeOutcome()
    due = _minutes_due(reading, now)
    charged = 0
    reader_cut, _platform_cut = payments.split(reading.rate)
    for n in range(reading.billed_minutes + 1, due + 1):
        try:
            with transaction.atomic():
                payments.charge(
                    reading.client,
                    reading.reader,
                    reading.rate,
                    key=f"reading:{reading.pk}:minute:{n}",
                    memo=f"{reading.get_type_display()} reading #{reading.pk}, minute {n}",
                    reference=f"reading:{reading.pk}",
                )
        except payments.InsufficientFunds:
            if charged:
                reading.save(update_fields=["billed_minutes", "total_charged", "reader_share"])
            _end_locked(reading, now, reason="balance", by=None)
            return ChargeOutcome(charged=charged, ended=True)
        reading.billed_minutes = n
        reading.total_charged += reading.rate
        reading.reader_share += reader_cut
        charged += 1
    if not charged:
        return ChargeOutcome()
    reading.save(update_fields=["billed_minutes", "total_charged", "reader_share"])
    balance = payments.balance(reading.client)
    payload = state_payload(reading, now)
    payload["client_balance"] = _money(balance)
    events.to_reading(reading.pk, payload)
    warning = balance < reading.rate * conf.get("READINGS_LOW_BALANCE_MINUTES")
    if warning and reading.warned_minute < reading.billed_minutes:
        reading.warned_minute = reading.billed_minutes
        reading.save(update_fields=["warned_minute"])
        left = int(balance // reading.rate)
        events.to_reading(
            reading.pk,
            {
                "type": "warning",
                "minutes_left": left,
                "message": (
                    "The client's balance covers the current minute only; the reading ends when it runs out "
                    "unless funds are added."
                    if left == 0
                    else f"Low balance: {left} more minute{'s' if left != 1 else ''} can be paid."
                ),
            },
        )
        client = reading.client
        transaction.on_commit(lambda: _try_auto_reload(client))
    return ChargeOutcome(charged=charged, warning=warning)


def _try_auto_reload(client: User) -> None:
    try:
        payments.request_auto_reload(client)
    except Exception:  # auto-reload is best effort; the reading ends cleanly if it fails
        log.exception("auto-reload for %s failed", client.pk)


def charge_due_minutes(reading: Reading | int, now: datetime | None = None) -> ChargeOutcome:
    """Charge every minute due at ``now``. Safe to call any number of times from anywhere."""
    now = _now(now)
    with transaction.atomic():
        reading = _lock(reading)
        return _charge_locked(reading, now)


def sweep(now: datetime | None = None) -> dict:
    """One pass of the sweeper: expire requests, drop stale sockets, charge, end abandoned."""
    now = _now(now)
    expired = expire_stale_requests(now)
    stale_cutoff = now - timedelta(seconds=conf.get("READINGS_STALE_CONNECTION_SECONDS"))
    stale_readings = set(
        ReadingConnection.objects.filter(seen_at__lt=stale_cutoff).values_list("reading_id", flat=True)
    )
    for reading_id in stale_readings:
        with transaction.atomic():
            reading = _lock(reading_id)
            ReadingConnection.objects.filter(reading=reading, seen_at__lt=stale_cutoff).delete()
            if reading.status in Reading.LIVE:
                _sync_presence(reading, now)
    charged = 0
    for reading_id in Reading.objects.filter(status=Status.ACTIVE, paused_at__isnull=True).values_list("pk", flat=True):
        charged += charge_due_minutes(reading_id, now).charged
    ended = end_abandoned(now)
    from readings.presence import mark_gone_readers_offline

    offline = mark_gone_readers_offline(now)
    return {"expired": expired, "charged": charged, "ended": ended, "offline": offline}


# --- the end --------------------------------------------------------------------------------


def _end_locked(reading: Reading, now: datetime, *, reason: str, by: User | None) -> Reading:
    if reading.paused_at is not None:
        reading.paused_seconds += max(0.0, (now - reading.paused_at).total_seconds())
        reading.paused_at = None
    reading.duration_seconds = int(reading.billable_seconds(now))
    reading.status = Status.ENDED
    reading.ended_at = now
    reading.end_reason = reason
    reading.ended_by = by
    reading.save()
    ReadingConnection.objects.filter(reading=reading).delete()
    _set_reader_availability(reading.reader_id, ReaderProfile.Availability.ONLINE)
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


def reverse_summary(reading_id: int) -> str:
    return reverse("readings:summary", args=[reading_id])


def end_reading(reading: Reading | int, by: User | None, reason: str = "", now: datetime | None = None) -> Reading:
    """Either party (or an admin) ends a reading. Ending an ended reading changes nothing."""
    now = _now(now)
    with transaction.atomic():
        reading = _lock(reading)
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
        return _end_locked(reading, now, reason=reason or role or "admin", by=by)


def _abandoned(reading: Reading, now: datetime) -> bool:
    grace = timedelta(seconds=conf.get("READINGS_RECONNECT_GRACE_SECONDS"))
    if reading.status == Status.ACTIVE and reading.paused_at is not None:
        return reading.paused_at + grace <= now
    if reading.status == Status.ACCEPTED and reading.accepted_at is not None:
        return reading.accepted_at + grace <= now
    return False


def end_abandoned(now: datetime | None = None, reading_ids: list[int] | None = None) -> int:
    """End readings paused (or never joined) for longer than the reconnect grace."""
    now = _now(now)
    grace = timedelta(seconds=conf.get("READINGS_RECONNECT_GRACE_SECONDS"))
    candidates = Reading.objects.filter(status__in=Reading.LIVE)
    if reading_ids is not None:
        candidates = candidates.filter(pk__in=reading_ids)
    paused = candidates.filter(status=Status.ACTIVE, paused_at__lte=now - grace)
    unjoined = candidates.filter(status=Status.ACCEPTED, accepted_at__lte=now - grace)
    count = 0
    for pk in list(paused.values_list("pk", flat=True)) + list(unjoined.values_list("pk", flat=True)):
        with transaction.atomic():
            reading = _lock(pk)
            if _abandoned(reading, now):
                reason = "disconnected" if reading.status == Status.ACTIVE else "no_show"
                _end_locked(reading, now, reason=reason, by=None)
                count += 1
    return count


# --- chat, reviews, refunds -----------------------------------------------------------------


def post_message(reading_id: int, user: User, text: str, now: datetime | None = None) -> ChatMessage:
    """Store one chat line in the transcript and send it to the room."""
    now = _now(now)
    text = (text or "").strip()
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


def leave_review(reading: Reading, client: User, rating: int, comment: str = "") -> Review:
    """The client's one review of a reading they had; updates the reader's average and count."""
    if not isinstance(rating, int) or not 1 <= rating <= 5:
        raise ReadingError("Choose from 1 to 5 stars.")
    with transaction.atomic():
        reading = _lock(reading)
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
    now = _now(now)
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
