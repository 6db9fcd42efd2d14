"""``soulseer.postgresql``: Django's PostgreSQL backend with psycopg's compiled timestamp parser, and the
presence table whose every-beat writes stay in place (HOT updates)."""

from datetime import UTC, datetime, timedelta, timezone

from django.db import connection
from psycopg.pq import Format

from conftest import postgres_only
from readings import services
from readings.models import ReadingConnection
from readings.tests.helpers import fund
from soulseer.postgresql.base import TIMESTAMPTZ_OID, FastTzLoader

pytestmark = postgres_only("the backend and the table options are PostgreSQL's")


def test_timestamps_read_back_exactly_as_aware_utc_datetimes():
    sent = [
        datetime(2026, 12, 6, 21, 0, 0, 123456, tzinfo=UTC),
        datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=timezone(timedelta(hours=5, minutes=30))),
        datetime(2400, 2, 29, 12, 0, tzinfo=timezone(timedelta(hours=-8))),
        datetime(1, 1, 1, tzinfo=UTC),
    ]
    with connection.cursor() as cursor:
        loader = cursor.cursor.adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT)
        cursor.execute("SELECT unnest(%s::timestamptz[])", [sent])
        got = [row[0] for row in cursor.fetchall()]
    assert issubclass(loader, FastTzLoader) and loader.timezone is connection.timezone
    assert got == sent  # the same instants...
    assert all(value.tzinfo is connection.timezone for value in got)  # ...in UTC, as Django's own loader gives


def test_the_beats_rewrite_presence_rows_in_place(alice, bob):
    """No index on ``seen_at`` and room on each page: the writes are HOT updates, which need no vacuum."""
    fund(alice, "50.00")
    reading = services.request_reading(alice, bob.reader_profile, "video")
    services.accept_reading(reading, bob)
    now = datetime.now(UTC)
    for user, role in ((alice, "client"), (bob, "reader")):
        ReadingConnection.objects.create(reading=reading, user=user, role=role, channel_name=f"c.{role}", seen_at=now)
    for beat in range(1, 4):
        services.record_heard({"c.client": now + timedelta(seconds=beat), "c.reader": now + timedelta(seconds=beat)})
    with connection.cursor() as cursor:  # this transaction's own counts
        cursor.execute(
            "SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_xact_user_tables WHERE relname = %s",
            [ReadingConnection._meta.db_table],
        )
        updated, in_place = cursor.fetchone()
    assert (updated, in_place) == (6, 6)
