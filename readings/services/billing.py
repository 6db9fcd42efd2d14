"""The billing clock: presence decides it, the database keeps it, anyone may advance it.

A party is *present* while their browser was heard within ``READINGS_STALE_CONNECTION_SECONDS``
(each daphne writes the time it last heard each room socket, in one batch per beat). The clock
runs only up to the latest moment **both** were heard (``Presence.confirmed``), so a minute is
charged only once both parties have been heard after it began: a party who vanished is never
charged for, however late anyone notices. When a party goes stale the clock pauses **at the
moment they were last heard**; the reconnect grace counts from there; when both are back it
resumes, and the gap is not billed.

``settle`` is the one rule: start, pause, resume, charge the minutes due, or end (grace over,
balance out). Every caller uses it under the reading's row lock: the room socket's
connect/disconnect, each daphne's beat pass over its own rooms, and the ``bill_readings`` sweeper
over all of them. Minute *n* is one ledger movement keyed ``reading:<id>:minute:<n>`` written with
the reading's counter in one transaction, so any number of callers neither skip nor double a minute.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from django.db import transaction
from django.db.models import Max

from payments import services as payments
from readings import conf, events
from readings.models import Reading, ReadingConnection
from readings.services.common import Status, lock, money, now_or, state_payload
from readings.services.lifecycle import end_locked

log = logging.getLogger(__name__)

ROLES = ("client", "reader")
AWAY_MESSAGES = {
    "client": "The client lost connection. Billing is paused until they are back.",
    "reader": "The reader lost connection. Billing is paused until they are back.",
}
BACK_MESSAGES = {"client": "The client is back. Billing resumes.", "reader": "The reader is back. Billing resumes."}


@dataclass(frozen=True)
class Presence:
    """When each party of one reading was last heard (None: no open socket)."""

    client: datetime | None = None
    reader: datetime | None = None

    def last_seen(self, role: str) -> datetime | None:
        return self.client if role == "client" else self.reader

    def fresh(self, role: str, now: datetime) -> bool:
        seen = self.last_seen(role)
        return seen is not None and (now - seen).total_seconds() <= conf.stale_seconds()

    def away(self, now: datetime) -> list[str]:
        return [role for role in ROLES if not self.fresh(role, now)]

    @property
    def confirmed(self) -> datetime | None:
        """The latest moment both parties are known to have been here."""
        if self.client is None or self.reader is None:
            return None
        return min(self.client, self.reader)


def presence_of(reading_ids: list[int]) -> dict[int, Presence]:
    """Last-heard times per party for many readings in one query."""
    seen: dict[int, dict[str, datetime]] = {}
    rows = (
        ReadingConnection.objects.filter(reading_id__in=reading_ids)
        .values("reading_id", "role")
        .annotate(last=Max("seen_at"))
    )
    for row in rows:
        seen.setdefault(row["reading_id"], {})[row["role"]] = row["last"]
    return {pk: Presence(**seen.get(pk, {})) for pk in reading_ids}


class Action(Enum):
    NONE = "none"
    START = "start"
    PAUSE = "pause"
    RESUME = "resume"
    CHARGE = "charge"
    END_DISCONNECTED = "disconnected"
    END_NO_SHOW = "no_show"


def minutes_due(reading: Reading, presence: Presence) -> int:
    """Minute n is due once the clock, run up to when both were last heard, reaches its start."""
    confirmed = presence.confirmed
    if reading.status != Status.ACTIVE or reading.paused_at is not None or confirmed is None:
        return reading.billed_minutes
    due = math.floor(reading.billable_seconds(confirmed) / conf.minute_seconds()) + 1
    return max(due, reading.billed_minutes)


def decide(reading: Reading, presence: Presence, now: datetime) -> Action:
    """What the billing clock of ``reading`` needs at ``now``. Pure: the one statement of the rules."""
    grace = timedelta(seconds=conf.get("READINGS_RECONNECT_GRACE_SECONDS"))
    away = presence.away(now)
    if reading.status == Status.ACCEPTED:
        if not away:
            return Action.START
        if reading.accepted_at is not None and reading.accepted_at + grace <= now:
            return Action.END_NO_SHOW
        return Action.NONE
    if reading.status != Status.ACTIVE:
        return Action.NONE
    if reading.paused_at is None:
        if away:
            return Action.PAUSE
        return Action.CHARGE if minutes_due(reading, presence) > reading.billed_minutes else Action.NONE
    if not away:
        return Action.RESUME
    if reading.paused_at + grace <= now:
        return Action.END_DISCONNECTED
    return Action.NONE


@dataclass
class SettleOutcome:
    charged: int = 0  # minutes charged by this call
    ended: bool = False
    paused: bool = False
    resumed: bool = False
    started: bool = False


def settle_locked(reading: Reading, now: datetime, presence: Presence | None = None) -> SettleOutcome:
    """Apply every rule due for ``reading`` (locked by the caller) at ``now``, until nothing is left."""
    presence = presence or presence_of([reading.pk])[reading.pk]
    outcome = SettleOutcome()
    for _ in range(4):  # e.g. resume, then charge; a handful of steps at most
        action = decide(reading, presence, now)
        if action is Action.NONE:
            break
        if action is Action.START:
            _start(reading, now)
            outcome.started = True
        elif action is Action.PAUSE:
            _pause(reading, presence, now)
            outcome.paused = True
        elif action is Action.RESUME:
            _resume(reading, now)
            outcome.resumed = True
        elif action is Action.CHARGE:
            charged, ended = charge_locked(reading, presence, now)
            outcome.charged += charged
            outcome.ended = outcome.ended or ended
            break
        else:
            end_locked(reading, now, reason=action.value, by=None)
            outcome.ended = True
            break
    return outcome


def _start(reading: Reading, now: datetime) -> None:
    reading.status = Status.ACTIVE
    reading.started_at = reading.resumed_at = now
    reading.save(update_fields=["status", "started_at", "resumed_at"])
    events.to_reading(reading.pk, {"type": "started"})


def _pause(reading: Reading, presence: Presence, now: datetime) -> None:
    """Pause from when the absent party was last heard (never before the clock last started)."""
    away = presence.away(now)
    heard = [presence.last_seen(role) for role in away if presence.last_seen(role) is not None]
    since = min(heard) if heard else now
    floor = reading.resumed_at or reading.started_at or since
    reading.paused_at = min(max(since, floor), now)
    reading.away_role = away[0] if len(away) == 1 else "both"
    reading.save(update_fields=["paused_at", "away_role"])
    payload = state_payload(reading, now)
    events.to_reading(reading.pk, payload)
    for role in away:
        events.to_reading(
            reading.pk, {"type": "presence", "role": role, "present": False, "message": AWAY_MESSAGES[role]}
        )
    log.info(
        "reading %s paused from %s (%s away; last heard: client %s, reader %s; noticed at %s)",
        reading.pk,
        reading.paused_at.isoformat(),
        reading.away_role,
        presence.client and presence.client.isoformat(),
        presence.reader and presence.reader.isoformat(),
        now.isoformat(),
    )


def _resume(reading: Reading, now: datetime) -> None:
    away = reading.away_role
    reading.paused_seconds += max(0.0, (now - reading.paused_at).total_seconds())
    reading.paused_at = None
    reading.resumed_at = now
    reading.away_role = ""
    reading.save(update_fields=["paused_seconds", "paused_at", "resumed_at", "away_role"])
    events.to_reading(reading.pk, state_payload(reading, now))
    for role in ROLES if away == "both" else [away] if away in ROLES else []:
        events.to_reading(
            reading.pk, {"type": "presence", "role": role, "present": True, "message": BACK_MESSAGES[role]}
        )


def account_gap(reading: Reading, last_heard: datetime | None, now: datetime) -> None:
    """A party comes back after a gap nobody noticed (their worker died and returned quickly): the
    gap was not billed time. ``reading`` is locked; the clock is running."""
    if reading.status != Status.ACTIVE or reading.paused_at is not None or last_heard is None:
        return
    start = max(last_heard, reading.resumed_at or last_heard)
    gap = (now - start).total_seconds()
    if gap > 2 * conf.heartbeat_seconds():
        reading.paused_seconds += gap
        reading.resumed_at = now
        reading.save(update_fields=["paused_seconds", "resumed_at"])
        log.info("reading %s: %.1f s unnoticed gap not billed", reading.pk, gap)


def charge_locked(reading: Reading, presence: Presence, now: datetime) -> tuple[int, bool]:
    """Charge every minute due (``reading`` is locked). Returns (minutes charged, ended for lack of funds)."""
    due = minutes_due(reading, presence)
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
            end_locked(reading, now, reason="balance", by=None)
            return charged, True
        reading.billed_minutes = n
        reading.total_charged += reading.rate
        reading.reader_share += reader_cut
        charged += 1
    if charged:
        reading.save(update_fields=["billed_minutes", "total_charged", "reader_share"])
        _after_charge(reading, now)
    return charged, False


def _after_charge(reading: Reading, now: datetime) -> None:
    """Tell the room (after commit) and warn once per minute when the balance is running out."""
    balance = payments.balance(reading.client)
    payload = state_payload(reading, now)
    payload["client_balance"] = money(balance)
    events.to_reading(reading.pk, payload)
    if balance >= reading.rate * conf.get("READINGS_LOW_BALANCE_MINUTES"):
        return
    if reading.warned_minute >= reading.billed_minutes:
        return
    reading.warned_minute = reading.billed_minutes
    reading.save(update_fields=["warned_minute"])
    left = int(balance // reading.rate)
    message = (
        "The client's balance covers the current minute only; the reading ends when it runs out unless funds are added."
        if left == 0
        else f"Low balance: {left} more minute{'s' if left != 1 else ''} can be paid."
    )
    events.to_reading(reading.pk, {"type": "warning", "minutes_left": left, "message": message})


def charge_due_minutes(reading: Reading | int, now: datetime | None = None, *, wait: bool = True) -> SettleOutcome:
    """Settle one reading at ``now``: charge whatever is due. Safe to call any number of times from anywhere.

    ``wait=False`` (the beat passes and the sweeper) skips a reading whose row another process holds
    right now: that process is settling it already, and nobody should queue behind it.
    """
    now = now_or(now)
    pk = reading if isinstance(reading, int) else reading.pk
    with transaction.atomic():
        if wait:
            reading = lock(pk)
        else:
            rows = Reading.objects.select_for_update(skip_locked=True).select_related("client", "reader")
            reading = rows.filter(pk=pk).first()
            if reading is None:
                return SettleOutcome()
        if reading.status not in Reading.LIVE:
            return SettleOutcome()
        return settle_locked(reading, now)


LIVE_FIELDS = (
    "status",
    "accepted_at",
    "started_at",
    "resumed_at",
    "paused_at",
    "paused_seconds",
    "billed_minutes",
    "ended_at",
    "rate",
)


def settle_readings(reading_ids: list[int] | None = None, now: datetime | None = None) -> dict[str, int]:
    """Settle many readings (``None``: every live one): two queries to find what needs work, then each
    reading that does is settled under its own lock and commits on its own. Returns counts."""
    now = now_or(now)
    candidates = Reading.objects.filter(status__in=Reading.LIVE).only(*LIVE_FIELDS)
    if reading_ids is not None:
        candidates = candidates.filter(pk__in=reading_ids)
    candidates = list(candidates)
    presences = presence_of([r.pk for r in candidates])
    total = {"charged": 0, "ended": 0, "paused": 0, "resumed": 0, "started": 0}
    for candidate in candidates:
        if decide(candidate, presences[candidate.pk], now) is Action.NONE:
            continue
        outcome = charge_due_minutes(candidate.pk, now, wait=False)  # re-decided under the lock, fresh presence
        total["charged"] += outcome.charged
        for key in ("ended", "paused", "resumed", "started"):
            total[key] += int(getattr(outcome, key))
    return total


def sweep(now: datetime | None = None) -> dict[str, int]:
    """One pass of the ``bill_readings`` sweeper: the backstop for every room whose daphne died."""
    from readings.presence import mark_gone_readers_offline
    from readings.services.lifecycle import expire_stale_requests

    now = now_or(now)
    result = {"expired": expire_stale_requests(now)}
    result.update(settle_readings(None, now))
    result["offline"] = mark_gone_readers_offline(now)
    # Sockets of readings that are over, or silent for a day: nothing reads them any more.
    ReadingConnection.objects.filter(seen_at__lt=now - timedelta(days=1)).delete()
    return result
