"""Shared helpers for the readings tests: fund a wallet, walk a reading to active, check the ledger."""

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.core.management import call_command, get_commands

from payments import services as payments
from readings import services
from readings.models import Reading

T0 = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def fund(user, amount) -> None:
    payments.credit_wallet(user, Decimal(amount), key=f"test:{uuid.uuid4()}", memo="test funds")


def active_reading(client, reader, reading_type="video", start=0.0) -> Reading:
    """request → accept → both connect at ``start`` seconds: the clock starts and minute 1 is charged."""
    reading = services.request_reading(client, reader.reader_profile, reading_type, now=at(start))
    services.accept_reading(reading, reader, now=at(start))
    assert services.mark_connected(reading.pk, client, f"client-{reading.pk}", now=at(start)) is not None
    assert services.mark_connected(reading.pk, reader, f"reader-{reading.pk}", now=at(start)) is not None
    reading.refresh_from_db()
    assert reading.status == Reading.Status.ACTIVE
    return reading


def verify_ledger() -> None:
    """``manage.py verify_ledger`` (payments) must pass; skipped only until payments ships it."""
    if "verify_ledger" in get_commands():
        call_command("verify_ledger")


def beat(reading, when, parties=("client", "reader")) -> None:
    """The parties' browsers answered a beat at ``when`` (what each daphne records in one batch)."""
    from readings.models import ReadingConnection

    sockets = ReadingConnection.objects.filter(reading_id=reading.pk, role__in=list(parties))
    services.record_heard(dict.fromkeys(sockets.values_list("channel_name", flat=True), when))
