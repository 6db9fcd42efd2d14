"""Credit and charge: double entry, idempotency on the key, no overdraft, bad input moves nothing."""

from decimal import Decimal

import pytest

from payments import services
from payments.models import Account, AppendOnlyError, Entry, Movement
from payments.services import InsufficientFunds, PaymentError


def d(value: str) -> Decimal:
    return Decimal(value)


def test_a_new_client_has_a_zero_balance(alice):
    assert services.balance(alice) == d("0.00")
    assert not Account.objects.filter(user=alice).exists()


def test_credit_wallet_writes_a_balanced_movement(alice):
    movement = services.credit_wallet(alice, d("25.00"), key="topup:cs_1", memo="Top-up")
    assert services.balance(alice) == d("25.00")
    assert movement.kind == Movement.Kind.TOPUP and movement.amount == d("25.00")
    legs = {(e.account.kind, e.amount) for e in movement.entries.select_related("account")}
    assert legs == {("wallet", d("25.00")), ("external", d("-25.00"))}


def test_credit_wallet_is_idempotent_on_its_key(alice):
    first = services.credit_wallet(alice, d("25.00"), key="topup:cs_1", memo="Top-up")
    again = services.credit_wallet(alice, d("25.00"), key="topup:cs_1", memo="Top-up")
    assert again.pk == first.pk
    assert services.balance(alice) == d("25.00")
    assert Movement.objects.count() == 1 and Entry.objects.count() == 2


def test_charge_splits_70_30(funded, bob):
    movement = services.charge(funded, bob, d("3.33"), key="reading:1:minute:1", memo="Minute 1", reference="reading:1")
    assert services.balance(funded) == d("46.67")
    assert services.earnings_balance(bob) == d("2.33")
    assert services.system_balance(Account.Kind.REVENUE) == d("1.00")
    assert Account.objects.get(kind=Account.Kind.REVENUE).balance is None  # no hot row: never cached
    assert movement.client == funded and movement.reader == bob and movement.reference == "reading:1"
    assert movement_for("reading:1:minute:1") == movement


def movement_for(key):
    return services.movement_for_key(key)


def test_a_retried_charge_moves_money_once(funded, bob):
    first = services.charge(funded, bob, d("2.00"), key="reading:1:minute:1", memo="Minute 1")
    again = services.charge(funded, bob, d("2.00"), key="reading:1:minute:1", memo="Minute 1")
    assert again.pk == first.pk
    assert services.balance(funded) == d("48.00")
    assert services.earnings_balance(bob) == d("1.40")


def test_charge_can_empty_the_wallet_exactly(funded, bob):
    services.charge(funded, bob, d("50.00"), key="spread:1", memo="Everything")
    assert services.balance(funded) == d("0.00")


def test_insufficient_funds_moves_nothing(funded, bob):
    before = Movement.objects.count()
    with pytest.raises(InsufficientFunds, match="Not enough funds"):
        services.charge(funded, bob, d("50.01"), key="spread:2", memo="Too much")
    assert services.balance(funded) == d("50.00")
    assert services.earnings_balance(bob) == d("0.00")
    assert Movement.objects.count() == before
    assert services.movement_for_key("spread:2") is None


def test_a_client_without_a_wallet_cannot_be_charged(alice, bob):
    with pytest.raises(InsufficientFunds):
        services.charge(alice, bob, d("1.00"), key="spread:3", memo="Nothing there")
    assert not Movement.objects.exists()


def test_insufficient_funds_inside_an_outer_transaction_leaves_it_usable(funded, bob, django_assert_num_queries):
    from django.db import transaction

    with transaction.atomic():
        services.charge(funded, bob, d("10.00"), key="reading:9:minute:1", memo="Minute 1")
        with pytest.raises(InsufficientFunds):
            services.charge(funded, bob, d("45.00"), key="reading:9:minute:2", memo="Minute 2")
        services.charge(funded, bob, d("10.00"), key="reading:9:minute:3", memo="Minute 3")
    assert services.balance(funded) == d("30.00")


@pytest.mark.parametrize("amount", ["0", "-5", "1.234", "abc", "10000.01"])
def test_bad_amounts_are_refused_and_move_nothing(funded, bob, amount):
    with pytest.raises(PaymentError):
        services.charge(funded, bob, amount, key=f"bad:{amount}", memo="Bad")
    with pytest.raises(PaymentError):
        services.credit_wallet(funded, amount, key=f"bad-credit:{amount}", memo="Bad")
    assert services.balance(funded) == d("50.00")
    assert services.movement_for_key(f"bad:{amount}") is None


def test_roles_are_checked(funded, bob, carol):
    with pytest.raises(PaymentError, match="Only clients"):
        services.charge(bob, bob, d("1.00"), key="x:1", memo="Reader paying")
    with pytest.raises(PaymentError, match="only go to a reader"):
        services.charge(funded, carol, d("1.00"), key="x:2", memo="Paying an admin")
    with pytest.raises(PaymentError, match="wallet"):
        services.credit_wallet(bob, d("1.00"), key="x:3", memo="Reader wallet")
    assert services.balance(funded) == d("50.00")


def test_ledger_rows_are_append_only(funded):
    movement = Movement.objects.get()
    entry = Entry.objects.first()
    with pytest.raises(AppendOnlyError):
        movement.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        Entry.objects.all().update(amount=d("1.00"))
    with pytest.raises(AppendOnlyError):
        Movement.objects.all().delete()


def test_the_database_refuses_a_negative_wallet(funded):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Account.objects.filter(user=funded).update(balance=d("-1.00"))


def test_seed_demo_balance_credits_once(alice):
    services.seed_demo_balance(alice, d("100.00"))
    services.seed_demo_balance(alice, d("100.00"))
    assert services.balance(alice) == d("100.00")
    assert services.movement_for_key(f"demo:{alice.pk}").kind == Movement.Kind.ADJUSTMENT
