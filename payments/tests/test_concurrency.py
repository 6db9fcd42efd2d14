"""Concurrent debits never overdraw a wallet, and a raced key moves money once (real PostgreSQL row locks)."""

from decimal import Decimal

from conftest import postgres_only, race
from payments import services
from payments.models import Movement
from payments.services import InsufficientFunds

pytestmark = postgres_only()


def test_concurrent_debits_never_overdraw(alice, bob):
    services.credit_wallet(alice, Decimal("10.00"), key="race:fund", memo="Funds")
    results = race(25, lambda i: services.charge(alice, bob, Decimal("1.00"), key=f"race:{i}", memo="Minute"))
    succeeded = [r for r in results if isinstance(r, Movement)]
    refused = [r for r in results if isinstance(r, InsufficientFunds)]
    assert len(succeeded) == 10 and len(refused) == 15, results
    assert services.balance(alice) == Decimal("0.00")
    assert services.earnings_balance(bob) == Decimal("7.00")


def test_concurrent_debits_of_uneven_amounts(alice, bob):
    services.credit_wallet(alice, Decimal("10.00"), key="race:fund", memo="Funds")
    results = race(12, lambda i: services.charge(alice, bob, Decimal("3.00"), key=f"race:{i}", memo="Gift"))
    assert sum(isinstance(r, Movement) for r in results) == 3
    assert services.balance(alice) == Decimal("1.00")


def test_the_same_key_raced_moves_money_once(alice, bob):
    services.credit_wallet(alice, Decimal("10.00"), key="race:fund", memo="Funds")
    results = race(12, lambda i: services.charge(alice, bob, Decimal("2.00"), key="reading:1:minute:1", memo="M1"))
    assert all(isinstance(r, Movement) for r in results), results
    assert len({r.pk for r in results}) == 1
    assert services.balance(alice) == Decimal("8.00")


def test_the_same_credit_raced_credits_once(alice):
    results = race(12, lambda i: services.credit_wallet(alice, Decimal("25.00"), key="topup:cs_race", memo="Top-up"))
    assert len({r.pk for r in results if isinstance(r, Movement)}) == 1, results
    assert services.balance(alice) == Decimal("25.00")


def test_concurrent_refunds_never_exceed_the_charge(alice, bob, carol):
    services.credit_wallet(alice, Decimal("10.00"), key="race:fund", memo="Funds")
    charged = services.charge(alice, bob, Decimal("10.00"), key="spread:1", memo="Order")
    race(8, lambda i: services.refund(charged, Decimal("3.00"), reason="race", by=carol))
    assert services.refunded_amount(charged) == Decimal("9.00")
    assert services.balance(alice) == Decimal("9.00")


def test_charges_and_top_ups_racing_across_clients_do_not_deadlock(alice, bob):
    from accounts.tests.factories import UserFactory

    other = UserFactory()
    for who in (alice, other):
        services.credit_wallet(who, Decimal("20.00"), key=f"race:fund:{who.pk}", memo="Funds")

    def work(i):
        who = alice if i % 2 else other
        if i % 3 == 0:
            return services.credit_wallet(who, Decimal("1.00"), key=f"race:topup:{i}", memo="Top-up")
        return services.charge(who, bob, Decimal("1.00"), key=f"race:charge:{i}", memo="Charge")

    results = race(30, work)
    assert all(isinstance(r, Movement) for r in results), results
    assert services.ledger_discrepancies() == []
