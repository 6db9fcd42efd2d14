"""Moving the money for due minutes: one path for one reading or for a batch of hundreds.

Minute *n* of a reading is one ledger movement keyed ``reading:<id>:minute:<n>``, posted in the
same transaction that advances the reading's counters. ``charge_locked`` takes readings whose rows
the caller holds and posts all their due minutes with ``payments.services.charge_many`` (a handful
of set-based statements for the whole batch); the connect/disconnect path passes one reading, the
beat passes and the sweeper pass batches (``charge_batch``). A client who cannot pay the next
minute has their reading ended, as the rules say.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction

from payments import services as payments
from readings import conf, events
from readings.models import Reading
from readings.services.clock import Action, Presence, decide, minutes_due, presence_of
from readings.services.common import money, state_payload
from readings.services.lifecycle import end_locked
from soulseer.sql import update_rows

COUNTERS = ["billed_minutes", "total_charged", "reader_share", "warned_minute"]


def minute_charge(reading: Reading, n: int) -> payments.Charge:
    """What minute ``n`` of ``reading`` moves: the one place its key, memo and reference are written."""
    return payments.Charge(
        client_id=reading.client_id,
        reader_id=reading.reader_id,
        amount=reading.rate,
        key=f"reading:{reading.pk}:minute:{n}",
        memo=f"{reading.get_type_display()} reading #{reading.pk}, minute {n}",
        reference=f"reading:{reading.pk}",
    )


def charge_locked(
    readings: list[Reading], presences: dict[int, Presence], now: datetime
) -> dict[int, tuple[int, bool]]:
    """Charge every minute due on ``readings`` (their rows locked by the caller).

    Returns ``{reading id: (minutes charged, ended for lack of funds)}`` for readings that had any due.
    """
    due = {r.pk: minutes_due(r, presences[r.pk]) for r in readings}
    owing = [r for r in readings if due[r.pk] > r.billed_minutes]
    charges = {r.pk: [minute_charge(r, n) for n in range(r.billed_minutes + 1, due[r.pk] + 1)] for r in owing}
    posted = payments.charge_many([charge for minutes in charges.values() for charge in minutes])
    results: dict[int, tuple[int, bool]] = {}
    changed, short = [], []
    for reading in owing:
        charged = 0
        reader_cut, _ = payments.split(reading.rate)
        for n, charge in enumerate(charges[reading.pk], start=reading.billed_minutes + 1):
            if charge.key not in posted.keys:
                break
            reading.billed_minutes = n
            reading.total_charged += reading.rate
            reading.reader_share += reader_cut
            charged += 1
        ended = reading.billed_minutes < due[reading.pk]
        results[reading.pk] = (charged, ended)
        if charged:
            _warn_if_low(reading, posted.balances[reading.client_id])
            changed.append(reading)
        if ended:
            short.append(reading)
    if changed:
        update_rows(Reading, COUNTERS, ([r.pk, *(getattr(r, f) for f in COUNTERS)] for r in changed))
        for reading in changed:
            if reading not in short:
                _tell_room(reading, posted.balances[reading.client_id], now)
    for reading in short:
        end_locked(reading, now, reason="balance", by=None)
    return results


def _tell_room(reading: Reading, balance, now: datetime) -> None:
    payload = state_payload(reading, now)
    payload["client_balance"] = money(balance)
    events.to_reading(reading.pk, payload)


def _warn_if_low(reading: Reading, balance) -> None:
    """Warn once per minute when fewer than ``READINGS_LOW_BALANCE_MINUTES`` more can be paid."""
    if balance >= reading.rate * conf.get("READINGS_LOW_BALANCE_MINUTES"):
        return
    if reading.warned_minute >= reading.billed_minutes:
        return
    reading.warned_minute = reading.billed_minutes
    left = int(balance // reading.rate)
    message = (
        "The client's balance covers the current minute only; the reading ends when it runs out unless funds are added."
        if left == 0
        else f"Low balance: {left} more minute{'s' if left != 1 else ''} can be paid."
    )
    events.to_reading(reading.pk, {"type": "warning", "minutes_left": left, "message": message})


@dataclass
class Batch:
    """What one batch transaction did, and what it left for one-by-one settling."""

    charged: int = 0  # minutes charged
    ended: int = 0  # readings ended because the client could not pay
    unsettled: list[int] = field(default_factory=list)  # readings to start, pause, resume or end instead


def charge_batch(reading_ids: list[int], now: datetime) -> Batch:
    """Lock the live readings of ``reading_ids`` and charge the minutes due on all of them in one
    transaction. Rows another process holds (a consumer, another sweeper) are skipped: that process
    is settling them already. Each is decided again under its lock; one whose clock now needs
    something other than a charge (start, pause, resume, end) comes back in ``unsettled``, for
    ``billing`` to settle one by one."""
    batch = Batch()
    with transaction.atomic():
        readings = list(
            Reading.objects.select_for_update(skip_locked=True)
            .filter(pk__any_of=reading_ids, status__in=Reading.LIVE)
            .order_by("pk")
        )
        presences = presence_of([r.pk for r in readings])
        due = []
        for reading in readings:
            action = decide(reading, presences[reading.pk], now)
            if action is Action.CHARGE:
                due.append(reading)
            elif action is not Action.NONE:
                batch.unsettled.append(reading.pk)
        results = charge_locked(due, presences, now)
    batch.charged = sum(charged for charged, _ in results.values())
    batch.ended = sum(1 for _, ended in results.values() if ended)
    return batch
