"""Ops commands: verify_ledger and reconcile_stripe."""

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from payments import services
from payments.models import Account, ConnectAccount, Payout, StripeCustomer, TopUp


def scenario(alice, bob, carol):
    services.credit_wallet(alice, Decimal("50.00"), key="topup:cs_a", memo="Top-up")
    charged = services.charge(alice, bob, Decimal("3.33"), key="reading:1:minute:1", memo="Minute 1")
    services.charge(alice, bob, Decimal("12.00"), key="spread:1", memo="Order")
    services.refund(charged, Decimal("1.11"), reason="Cut short", by=carol)


def test_verify_ledger_passes_after_a_scenario(alice, bob, carol):
    scenario(alice, bob, carol)
    out = StringIO()
    call_command("verify_ledger", stdout=out)
    assert "Ledger OK" in out.getvalue()


def test_verify_ledger_fails_on_a_tampered_balance(alice, bob, carol, allow_broken_ledger):
    scenario(alice, bob, carol)
    wallet = Account.objects.get(user=alice, kind=Account.Kind.WALLET)
    Account.objects.filter(pk=wallet.pk).update(balance=wallet.balance + Decimal("100.00"))
    out = StringIO()
    with pytest.raises(CommandError, match="1 discrepancies"):
        call_command("verify_ledger", stdout=out)
    assert f"account {wallet.pk} (Client wallet of alice@example.com): cached balance 135.78 != entries 35.78" in (
        out.getvalue()
    )


def test_verify_ledger_exits_non_zero_from_the_shell(alice, bob, carol, allow_broken_ledger):
    scenario(alice, bob, carol)
    wallet = Account.objects.filter(kind=Account.Kind.WALLET).first()
    Account.objects.filter(pk=wallet.pk).update(balance=wallet.balance + 1)
    with pytest.raises(SystemExit) as exit_info:
        from django.core.management import ManagementUtility

        ManagementUtility(["manage.py", "verify_ledger"]).execute()
    assert exit_info.value.code == 1


def test_reconcile_in_the_sandbox(sandbox, db):
    out = StringIO()
    call_command("reconcile_stripe", stdout=out)
    assert "sandbox" in out.getvalue()


def test_reconcile_agrees_and_then_finds_differences(
    stripe_stub, alice, bob, post_event, django_capture_on_commit_callbacks, run_tasks
):
    from payments.tests.stripe_stub import event

    StripeCustomer.objects.create(user=alice, customer_id="cus_alice")
    # A top-up through Checkout, paid and credited by the webhook.
    topup, _ = services.start_topup(alice, Decimal("40.00"), success_url="https://x/", cancel_url="https://x/")
    session = stripe_stub.objects[topup.checkout_id]
    session.update(status="complete", payment_status="paid", payment_intent="pi_1")
    post_event(event("checkout.session.completed", session))
    # A payout through a transfer.
    services.charge(alice, bob, Decimal("30.00"), key="spread:1", memo="Order")
    ConnectAccount.objects.create(user=bob, stripe_account_id="acct_bob", payouts_enabled=True)
    with django_capture_on_commit_callbacks(execute=True):
        services.pay_out(bob)
    run_tasks()  # the task worker sends what was queued
    out = StringIO()
    call_command("reconcile_stripe", stdout=out)
    assert "agree" in out.getvalue()

    # Stripe knows a paid checkout the ledger lacks, and the ledger has a top-up Stripe never saw.
    stripe_stub.put({**session, "id": "cs_test_missing", "amount_total": 1000})
    services.credit_wallet(alice, Decimal("5.00"), key="topup:cs_test_phantom", memo="Phantom")
    # And a payout marked paid whose transfer Stripe does not have.
    Payout.objects.update(stripe_transfer_id="tr_unknown")
    out = StringIO()
    with pytest.raises(CommandError, match="differences"):
        call_command("reconcile_stripe", stdout=out)
    report = out.getvalue()
    assert "Stripe checkout cs_test_missing was paid ($10.00) but the ledger has no top-up" in report
    assert "ledger top-up topup:cs_test_phantom ($5.00) has no paid Stripe checkout" in report
    assert "Stripe has no transfer tr_unknown" in report
    assert "matches no paid payout in the ledger" in report
    assert TopUp.objects.get(checkout_id=topup.checkout_id).status == TopUp.Status.PAID
