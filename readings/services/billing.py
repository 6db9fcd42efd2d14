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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import DatabaseError, connection, transaction
from django.db.models import QuerySet, Value
from django.db.models.functions import Mod

from readings import conf, events
from readings.models import Reading, ReadingConnection
from readings.services import charging
from readings.services.clock import ROLES, Action, Presence, decide, presence_of
from readings.services.common import Status, lock, now_or, state_payload
from readings.services.lifecycle import end_locked

log = logging.getLogger(__name__)

AWAY_MESSAGES = {
    "client": "The client lost connection. Billing is paused until they are back.",
    "reader": "The reader lost connection. Billing is paused until they are back.",
}
BACK_MESSAGES = {"client": "The client is back. Billing resumes.", "reader": "The reader is back. Billing resumes."}


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
            charged, ended = charging.charge_locked([reading], {reading.pk: presence}, now).get(reading.pk, (0, False))
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


SWEEP_SHARDS = 32  # a pass's units of work (reading id modulo this): fine enough that sweepers end together
SWEEP_LOCK = 0x5EE9  # the advisory-lock class of the shards (``pg_try_advisory_lock(class, shard)``)


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
    """Settle many readings (``None``: every live one, the sweeper's pass) and return counts.

    A daphne's beat pass settles the rooms it holds; a sweeper's pass walks the live readings shard
    by shard, claiming each shard first (``_claimed_shards``), so sweepers running at once share the
    readings instead of each reading and deciding all of them.
    """
    now = now_or(now)
    total = {"charged": 0, "ended": 0, "paused": 0, "resumed": 0, "started": 0}
    live = Reading.objects.filter(status__in=Reading.LIVE).only(*LIVE_FIELDS)
    if reading_ids is not None:
        _settle_some(live.filter(pk__any_of=list(reading_ids)), now, total)
        return total
    shards = live.alias(shard=Mod("id", Value(SWEEP_SHARDS)))
    with _claimed_shards() as claim:
        for shard in range(SWEEP_SHARDS):
            if claim(shard):  # else another sweeper is on it, or did it in this pass
                _settle_some(shards.filter(shard=shard), now, total)
    return total


def _settle_some(candidates: QuerySet[Reading], now: datetime, total: dict[str, int]) -> None:
    """Two queries without locks find what needs work. Readings with only minutes due (nearly all
    of them, nearly always) are charged in locked batches of ``READINGS_BILLING_BATCH`` per
    transaction; the rare ones to start, pause, resume or end are settled one by one. Either way
    each is decided again under its row lock, and rows another process holds are skipped (it is
    settling them). Nothing is locked when nothing is due."""
    candidates = list(candidates)
    presences = presence_of([c.pk for c in candidates])
    due, other = [], []
    for candidate in candidates:
        action = decide(candidate, presences[candidate.pk], now)
        if action is Action.CHARGE:
            due.append(candidate.pk)
        elif action is not Action.NONE:
            other.append(candidate.pk)
    size = int(conf.get("READINGS_BILLING_BATCH"))
    for i in range(0, len(due), size):
        batch = charging.charge_batch(due[i : i + size], now)
        total["charged"] += batch.charged
        total["ended"] += batch.ended
        other += batch.unsettled  # its clock changed since it was read: settle it on its own
    for pk in other:
        outcome = charge_due_minutes(pk, now, wait=False)
        total["charged"] += outcome.charged
        for key in ("ended", "paused", "resumed", "started"):
            total[key] += int(getattr(outcome, key))


@contextmanager
def _claimed_shards() -> Iterator[Callable[[int], bool]]:
    """``claim(shard)`` for one pass: on PostgreSQL a session advisory lock per shard, held until the
    pass ends so no other sweeper redoes that shard meanwhile, and released with the connection if
    this process dies. Elsewhere (SQLite: one process) every shard is this pass's."""
    if connection.vendor != "postgresql":
        yield lambda shard: True
        return
    held: list[int] = []

    def claim(shard: int) -> bool:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [SWEEP_LOCK, shard])
            if cursor.fetchone()[0]:
                held.append(shard)
                return True
        return False

    try:
        yield claim
    finally:
        try:
            with connection.cursor() as cursor:
                for shard in held:
                    cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [SWEEP_LOCK, shard])
        except DatabaseError:  # the connection is gone, and its locks with it; the pass's own error goes on
            log.warning("could not release the sweep's shard locks", exc_info=True)


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
