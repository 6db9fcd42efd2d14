"""The batched billing path and the one-reading path are one set of rules: same ledger, same readings.

Hypothesis draws mixes of wallet balances, rates and minutes due — clients who run out part-way
included — builds each reading twice, settles one copy reading by reading and the other in one
batch, and compares everything money touches. ``payments.charge`` and ``payments.charge_many``
are held to the same standard.
"""

from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.tests.factories import ReaderProfileFactory, UserFactory
from payments import services as payments
from payments.models import Entry, Movement
from readings import services
from readings.models import Reading, ReadingConnection
from readings.tests.helpers import at

MINUTE = 60.0


@pytest.fixture(autouse=True)
def _clock(settings):
    settings.SOULSEER_BILLING_MINUTE_SECONDS = MINUTE
    settings.READINGS_STALE_CONNECTION_SECONDS = 10**9  # the fixed clock is far in the past


reading_specs = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=3000),  # wallet, in cents
        st.integers(min_value=50, max_value=1500),  # rate, in cents a minute
        st.integers(min_value=1, max_value=4),  # minutes due
    ),
    min_size=1,
    max_size=6,
)


def _build(spec, label: str) -> Reading:
    cents, rate_cents, due = spec
    client = UserFactory(email=f"{label}-client@example.com")
    reader = ReaderProfileFactory(user__email=f"{label}-reader@example.com").user
    if cents:
        payments.credit_wallet(client, Decimal(cents) / 100, key=f"fund:{label}", memo="funds")
    reading = Reading.objects.create(
        client=client,
        reader=reader,
        type="chat",
        rate=Decimal(rate_cents) / 100,
        status="active",
        requested_at=at(0),
        accepted_at=at(0),
        started_at=at(0),
        resumed_at=at(0),
    )
    heard = at((due - 1) * MINUTE + 1)  # both heard one second into the last minute due
    for role, user in (("client", client), ("reader", reader)):
        ReadingConnection.objects.create(
            reading=reading, user=user, role=role, channel_name=f"{label}-{role}", seen_at=heard
        )
    return reading


def _snapshot(readings: list[Reading]) -> list:
    """Everything the billing touched, with ids replaced by each reading's place in the list."""
    out = []
    for place, reading in enumerate(readings):
        reading.refresh_from_db()
        movements = []
        for movement in Movement.objects.filter(reference=f"reading:{reading.pk}").order_by("key"):
            legs = sorted(
                (entry.account.kind, entry.account.user_id == reading.client_id, entry.amount)
                for entry in Entry.objects.filter(movement=movement).select_related("account")
            )
            movements.append(
                (
                    movement.key.replace(f"reading:{reading.pk}:", ""),
                    movement.kind,
                    movement.amount,
                    movement.memo.replace(f"#{reading.pk}", "#"),
                    movement.client_id == reading.client_id,
                    movement.reader_id == reading.reader_id,
                    legs,
                )
            )
        out.append(
            (
                place,
                reading.status,
                reading.end_reason,
                reading.billed_minutes,
                reading.total_charged,
                reading.reader_share,
                reading.warned_minute,
                payments.balance(reading.client),
                payments.earnings_balance(reading.reader),
                movements,
            )
        )
    return out


@pytest.mark.django_db
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(specs=reading_specs)
def test_batch_and_one_by_one_bill_identically(specs):
    now = at(max(due for _, _, due in specs) * MINUTE)
    with transaction.atomic():
        one_by_one = [_build(spec, f"a{i}") for i, spec in enumerate(specs)]
        batched = [_build(spec, f"b{i}") for i, spec in enumerate(specs)]
        for reading in one_by_one:
            services.charge_due_minutes(reading.pk, now)
        services.charge_batch([r.pk for r in batched], now)
        assert _snapshot(one_by_one) == _snapshot(batched)
        assert payments.ledger_discrepancies() == []
        transaction.set_rollback(True)


charge_specs = st.lists(
    st.tuples(st.integers(min_value=0, max_value=3), st.integers(min_value=1, max_value=2000)),  # (client, cents)
    min_size=1,
    max_size=12,
)


@pytest.mark.django_db
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(charges=charge_specs, wallets=st.lists(st.integers(min_value=0, max_value=3000), min_size=4, max_size=4))
def test_charge_many_posts_what_charge_posts(charges, wallets):
    """Charges in order; once a client cannot pay one, their later charges are not tried (minutes are
    paid in order)."""
    with transaction.atomic():
        reader = ReaderProfileFactory(user__email="reader@example.com").user
        ledgers = []
        for run in ("single", "many"):
            clients = [UserFactory(email=f"{run}{i}@example.com") for i in range(4)]
            for client, cents in zip(clients, wallets, strict=True):
                if cents:
                    payments.credit_wallet(client, Decimal(cents) / 100, key=f"{run}:fund:{client.pk}", memo="f")
            specs = [
                payments.Charge(clients[who].pk, reader.pk, Decimal(c) / 100, f"{run}:{n}", f"charge {n}", "ref")
                for n, (who, c) in enumerate(charges)
            ]
            if run == "single":
                out = set()
                for spec in specs:
                    if spec.client_id in out:
                        continue
                    client = next(c for c in clients if c.pk == spec.client_id)
                    try:
                        payments.charge(
                            client, reader, spec.amount, key=spec.key, memo=spec.memo, reference=spec.reference
                        )
                    except payments.InsufficientFunds:
                        out.add(spec.client_id)
            else:
                payments.charge_many(specs)
            rows = Movement.objects.filter(key__startswith=f"{run}:", kind="charge").order_by("key")
            ledgers.append(
                (
                    [(m.key.split(":", 1)[1], m.amount, m.memo, m.reference) for m in rows],
                    [
                        sorted(
                            (e.account.kind, e.amount)
                            for e in Entry.objects.filter(movement=m).select_related("account")
                        )
                        for m in rows
                    ],
                    [payments.balance(c) for c in clients],
                )
            )
        assert ledgers[0] == ledgers[1]
        assert payments.ledger_discrepancies() == []
        transaction.set_rollback(True)


@pytest.mark.django_db
def test_a_batch_charges_many_readings_in_a_few_statements(django_assert_max_num_queries):
    """The point of the batch: statements per batch, not per minute."""
    specs = [(3000, 200, 2)] * 40
    readings = [_build(spec, f"q{i}") for i, spec in enumerate(specs)]
    with django_assert_max_num_queries(20):
        result = services.charge_batch([r.pk for r in readings], at(MINUTE + 5))
    assert (result.charged, result.ended, result.unsettled) == (80, 0, [])
    assert Movement.objects.filter(kind="charge").count() == 80
    assert payments.ledger_discrepancies() == []
