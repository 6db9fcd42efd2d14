"""The billing clock's rules, pure: who is present, what is due, what to do next.

A party is *present* while their browser was heard within ``READINGS_STALE_CONNECTION_SECONDS``.
The clock runs only up to the latest moment **both** were heard (``Presence.confirmed``), so a
minute is charged only once both parties have been heard after it began. ``decide`` is the one
statement of the rules; ``billing`` applies them and ``charging`` moves the money.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from readings import conf
from readings.models import Reading, ReadingConnection
from readings.services.common import Status
from soulseer import sql  # noqa: F401  (registers the ``any_of`` lookup)

ROLES = ("client", "reader")


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


def presence_of(reading_ids: list[int] | None) -> dict[int, Presence]:
    """Last-heard times per party for many readings in one query (``None``: every live reading).

    One socket per party (a constraint), so each row is that party's last-heard time.
    """
    rows = ReadingConnection.objects.all()
    if reading_ids is None:
        rows = rows.filter(reading__status__in=Reading.LIVE)
    else:
        rows = rows.filter(reading_id__any_of=reading_ids)
    seen: dict[int, dict[str, datetime]] = {}
    for reading_id, role, seen_at in rows.values_list("reading_id", "role", "seen_at"):
        seen.setdefault(reading_id, {})[role] = seen_at
    return (
        defaultdict(Presence, {pk: Presence(**parties) for pk, parties in seen.items()})
        if reading_ids is None
        else {pk: Presence(**seen.get(pk, {})) for pk in reading_ids}
    )


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
