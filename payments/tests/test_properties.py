"""For any sequence of top-ups, debits and refunds the books sum to zero and no wallet goes negative."""

from decimal import Decimal

from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from payments import services
from payments.models import Account, Movement
from payments.services import InsufficientFunds, PaymentError

cents = st.integers(min_value=1, max_value=20_000).map(lambda c: Decimal(c) / 100)
steps = st.lists(
    st.one_of(
        st.tuples(st.just("topup"), st.integers(0, 1), cents),
        st.tuples(st.just("charge"), st.integers(0, 1), cents),
        st.tuples(st.just("refund"), st.integers(0, 20), st.one_of(st.none(), cents)),
        st.tuples(st.just("retry"), st.integers(0, 20), st.none()),
    ),
    max_size=25,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=steps)
def test_any_sequence_keeps_the_books_balanced(alice, bob, carol, steps):
    from accounts.tests.factories import UserFactory

    with transaction.atomic():
        clients = [alice, UserFactory()]
        expected = {c.pk: Decimal("0.00") for c in clients}
        charges: list[Movement] = []
        keys: list[tuple[str, object, Decimal]] = []
        for n, (op, who, amount) in enumerate(steps):
            if op == "topup":
                services.credit_wallet(clients[who], amount, key=f"p:topup:{n}", memo="t")
                expected[clients[who].pk] += amount
                keys.append((f"p:topup:{n}", clients[who], amount))
            elif op == "charge":
                try:
                    charges.append(services.charge(clients[who], bob, amount, key=f"p:charge:{n}", memo="c"))
                    expected[clients[who].pk] -= amount
                except InsufficientFunds:
                    assert services.balance(clients[who]) < amount
            elif op == "refund" and charges:
                original = charges[who % len(charges)]
                try:
                    movement = services.refund(original, amount, reason="r", by=carol)
                    expected[original.client_id] += movement.amount
                except PaymentError:
                    left = original.amount - services.refunded_amount(original)
                    assert left == 0 or (amount is not None and amount > left)
            elif op == "retry" and keys:
                key, user, value = keys[who % len(keys)]
                services.credit_wallet(user, value, key=key, memo="again")  # changes nothing
            for client in clients:
                assert services.balance(client) == expected[client.pk] >= 0
        assert services.ledger_discrepancies() == []
        for charge in charges:
            assert services.refunded_amount(charge) <= charge.amount
        earnings = services.earnings_balance(bob)
        revenue = services.system_balance(Account.Kind.REVENUE)
        charged = sum((c.amount - services.refunded_amount(c) for c in charges), Decimal("0.00"))
        assert earnings + revenue == charged
        transaction.set_rollback(True)
