"""Refunds: an admin reverses a charge in full or in part, as new ledger entries, never more than is left."""

from decimal import Decimal

import pytest

from payments import services
from payments.models import Account, Movement
from payments.services import PaymentError


@pytest.fixture
def charged(funded, bob):
    return services.charge(funded, bob, Decimal("10.00"), key="spread:1", memo="Tarot spread")


def revenue() -> Decimal:
    return services.system_balance(Account.Kind.REVENUE)


def test_full_refund_reverses_every_leg(charged, funded, bob, carol):
    movement = services.refund(charged, reason="Reader no-show", by=carol)
    assert movement.kind == Movement.Kind.REFUND and movement.refund_of == charged
    assert movement.amount == Decimal("10.00") and movement.created_by == carol
    assert services.balance(funded) == Decimal("50.00")
    assert services.earnings_balance(bob) == Decimal("0.00")
    assert revenue() == Decimal("0.00")
    assert "Reader no-show" in movement.memo


def test_partial_refunds_then_the_rest(charged, funded, bob, carol):
    services.refund(charged, Decimal("3.33"), reason="Cut short", by=carol)
    assert services.balance(funded) == Decimal("43.33")
    assert services.earnings_balance(bob) == Decimal("4.67")  # 7.00 - 2.33
    services.refund(charged, reason="Rest of it", by=carol)
    assert services.balance(funded) == Decimal("50.00")
    assert services.earnings_balance(bob) == Decimal("0.00")
    assert revenue() == Decimal("0.00")


def test_never_more_than_what_is_left(charged, funded, carol):
    services.refund(charged, Decimal("6.00"), reason="Partly", by=carol)
    with pytest.raises(PaymentError, match=r"At most \$4.00"):
        services.refund(charged, Decimal("4.01"), reason="Too much", by=carol)
    services.refund(charged, Decimal("4.00"), reason="The rest", by=carol)
    with pytest.raises(PaymentError, match="already been refunded in full"):
        services.refund(charged, reason="Again", by=carol)
    assert services.balance(funded) == Decimal("50.00")


def test_refund_needs_a_reason_and_a_valid_amount(charged, funded, carol):
    with pytest.raises(PaymentError, match="reason"):
        services.refund(charged, reason="  ", by=carol)
    for bad in ["0", "-1", "1.001"]:
        with pytest.raises(PaymentError):
            services.refund(charged, bad, reason="Bad", by=carol)
    assert services.balance(funded) == Decimal("40.00")


def test_only_charges_can_be_refunded(funded, carol):
    topup = Movement.objects.get(key="test:fund-alice")
    with pytest.raises(PaymentError, match="Only charges"):
        services.refund(topup, reason="No", by=carol)


def test_refund_with_a_key_is_idempotent(charged, funded, carol):
    first = services.refund(charged, Decimal("1.00"), reason="Once", by=carol, key="refund:form-token-1")
    again = services.refund(charged, Decimal("1.00"), reason="Once", by=carol, key="refund:form-token-1")
    assert first.pk == again.pk
    assert services.balance(funded) == Decimal("41.00")


def test_refund_of_paid_out_earnings_leaves_the_reader_owing(charged, funded, bob, carol):
    from payments.models import ConnectAccount

    ConnectAccount.objects.create(user=bob, stripe_account_id="acct_sandbox_x", sandbox=True, payouts_enabled=True)
    services.pay_out(bob, force=True, by=carol)
    services.refund(charged, reason="After payout", by=carol)
    assert services.earnings_balance(bob) == Decimal("-7.00")
    assert services.balance(funded) == Decimal("50.00")
