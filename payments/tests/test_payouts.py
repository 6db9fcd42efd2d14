"""Payouts: only to accounts with payouts enabled, at the threshold, once; failed transfers retried by us."""

from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse

from payments import services
from payments.models import ConnectAccount, Movement, Payout
from payments.services import PaymentError


def earn(client_user, reader, amount: str, key="earn:1"):
    """Give ``reader`` 70 % of ``amount`` in earnings."""
    services.credit_wallet(client_user, Decimal(amount), key=f"{key}:fund", memo="Funds")
    services.charge(client_user, reader, Decimal(amount), key=key, memo="Reading")


@pytest.fixture
def connected(bob):
    return ConnectAccount.objects.create(
        user=bob, stripe_account_id="acct_bob", details_submitted=True, payouts_enabled=True
    )


def test_pays_out_at_the_threshold_through_a_transfer(
    stripe_stub, alice, bob, connected, django_capture_on_commit_callbacks, run_tasks
):
    earn(alice, bob, "30.00")  # bob earns $21.00
    with django_capture_on_commit_callbacks(execute=True):
        payout = services.pay_out(bob)
    run_tasks()  # the task worker sends what was queued
    payout.refresh_from_db()
    assert payout.status == Payout.Status.PAID and payout.amount == Decimal("21.00")
    assert payout.stripe_transfer_id.startswith("tr_")
    assert services.earnings_balance(bob) == Decimal("0.00")
    assert Movement.objects.get(key=f"payout:{payout.pk}").kind == Movement.Kind.PAYOUT
    (call,) = stripe_stub.calls("POST", "/v1/transfers")
    assert call["params"]["amount"] == "2100" and call["params"]["destination"] == "acct_bob"
    assert call["params"]["transfer_group"] == f"payout:{payout.pk}"
    assert call["idempotency_key"] == f"payout-{payout.pk}-0"


def test_below_the_threshold_nothing_is_paid(stripe_stub, alice, bob, connected):
    earn(alice, bob, "20.00")  # $14.00 < $15
    assert services.pay_out(bob) is None
    assert not Payout.objects.exists() and not stripe_stub.calls("POST", "/v1/transfers")


def test_admins_can_pay_out_below_the_threshold(
    sandbox, alice, bob, carol, django_capture_on_commit_callbacks, run_tasks
):
    ConnectAccount.objects.create(user=bob, stripe_account_id="acct_sandbox_bob", sandbox=True, payouts_enabled=True)
    earn(alice, bob, "10.00")
    with django_capture_on_commit_callbacks(execute=True):
        payout = services.pay_out(bob, force=True, by=carol)
    run_tasks()  # the task worker sends what was queued
    payout.refresh_from_db()
    assert payout.status == Payout.Status.PAID and payout.stripe_transfer_id == f"tr_sandbox_{payout.pk}"
    assert payout.requested_by == carol and payout.amount == Decimal("7.00")


@pytest.mark.parametrize("enabled", [None, False])
def test_only_accounts_with_payouts_enabled_are_paid(stripe_stub, alice, bob, carol, enabled):
    if enabled is not None:
        ConnectAccount.objects.create(user=bob, stripe_account_id="acct_bob", payouts_enabled=enabled)
    earn(alice, bob, "100.00")
    assert services.pay_out(bob) is None
    with pytest.raises(PaymentError, match="payouts are not enabled"):
        services.pay_out(bob, force=True, by=carol)
    assert services.earnings_balance(bob) == Decimal("70.00")
    assert not Payout.objects.exists()


def test_nothing_to_pay_out(stripe_stub, bob, carol, connected):
    with pytest.raises(PaymentError, match="no earnings"):
        services.pay_out(bob, force=True, by=carol)


def test_paying_out_twice_pays_once(stripe_stub, alice, bob, connected, django_capture_on_commit_callbacks, run_tasks):
    earn(alice, bob, "30.00")
    with django_capture_on_commit_callbacks(execute=True):
        first = services.pay_out(bob)
        assert services.pay_out(bob) is None
    run_tasks()  # the task worker sends what was queued
    services.send_payout(first.pk)  # a repeated send of a paid payout does nothing
    assert len(stripe_stub.calls("POST", "/v1/transfers")) == 1
    assert Payout.objects.count() == 1


def test_a_failed_transfer_is_recorded_and_retried(
    stripe_stub, alice, bob, connected, django_capture_on_commit_callbacks, run_tasks
):
    earn(alice, bob, "30.00")
    stripe_stub.fail_next(
        "POST",
        "/v1/transfers",
        400,
        {"type": "invalid_request_error", "code": "balance_insufficient", "message": "Insufficient funds."},
    )
    with django_capture_on_commit_callbacks(execute=True):
        payout = services.pay_out(bob)
    run_tasks()  # the task worker sends what was queued
    payout.refresh_from_db()
    assert payout.status == Payout.Status.FAILED and payout.attempts == 1
    assert "Insufficient funds" in payout.last_error
    assert services.earnings_balance(bob) == Decimal("0.00")  # set aside for this payout, not paid twice

    call_command("pay_out_readers")
    payout.refresh_from_db()
    assert payout.status == Payout.Status.PAID
    keys = [c["idempotency_key"] for c in stripe_stub.calls("POST", "/v1/transfers")]
    assert keys == [f"payout-{payout.pk}-0", f"payout-{payout.pk}-1"]
    assert Movement.objects.filter(kind=Movement.Kind.PAYOUT).count() == 1


def test_retry_claims_a_failed_payout_once(
    stripe_stub, alice, bob, connected, django_capture_on_commit_callbacks, run_tasks
):
    earn(alice, bob, "30.00")
    stripe_stub.fail_next("POST", "/v1/transfers", 500, {"type": "api_error", "message": "Down"})
    with django_capture_on_commit_callbacks(execute=True):
        payout = services.pay_out(bob)
    run_tasks()  # the task worker sends what was queued
    services.send_payout(payout.pk, retry=True)
    services.send_payout(payout.pk, retry=True)  # already paid: claims nothing
    assert len(stripe_stub.calls("POST", "/v1/transfers")) == 2


def test_pay_out_readers_pays_everyone_due(sandbox, alice, bob, django_capture_on_commit_callbacks, run_tasks, capsys):
    from accounts.tests.factories import ReaderProfileFactory

    ConnectAccount.objects.create(user=bob, stripe_account_id="acct_sandbox_bob", sandbox=True, payouts_enabled=True)
    small = ReaderProfileFactory().user
    ConnectAccount.objects.create(user=small, stripe_account_id="acct_sandbox_s", sandbox=True, payouts_enabled=True)
    unset = ReaderProfileFactory().user
    earn(alice, bob, "30.00", key="e:1")
    earn(alice, small, "10.00", key="e:2")
    earn(alice, unset, "50.00", key="e:3")
    with django_capture_on_commit_callbacks(execute=True):  # in production the command runs in autocommit
        call_command("pay_out_readers")
    run_tasks()  # the task worker sends what was queued
    assert list(Payout.objects.values_list("reader", "status")) == [(bob.pk, "paid")]
    assert "payout" in capsys.readouterr().out
    assert services.earnings_balance(small) == Decimal("7.00")
    assert services.earnings_balance(unset) == Decimal("35.00")


def test_staff_pay_out_button(sandbox, client, alice, bob, carol, django_capture_on_commit_callbacks, run_tasks):
    ConnectAccount.objects.create(user=bob, stripe_account_id="acct_sandbox_bob", sandbox=True, payouts_enabled=True)
    earn(alice, bob, "10.00")
    client.force_login(carol)
    page = client.get(reverse("payments:money_overview")).content.decode()
    assert "Pay out now" in page and "$7.00" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("payments:staff_pay_out", args=[bob.pk]), follow=True)
    run_tasks()  # the task worker sends what was queued
    assert "Payout of $7.00 to Bob the Seer" in response.content.decode()
    assert Payout.objects.get().status == Payout.Status.PAID
    # Nothing left: a second click explains instead of paying.
    again = client.post(reverse("payments:staff_pay_out", args=[bob.pk]), follow=True)
    assert "nothing to pay out" in again.content.decode()


def test_money_overview_is_for_admins(client, alice, bob):
    url = reverse("payments:money_overview")
    assert client.get(url).status_code == 302
    for user in (alice, bob):
        client.force_login(user)
        assert client.get(url).status_code == 403
        assert client.post(reverse("payments:staff_pay_out", args=[bob.pk])).status_code == 403


def test_money_overview_figures(sandbox, client, alice, bob, carol):
    earn(alice, bob, "10.00")
    services.credit_wallet(alice, Decimal("5.00"), key="extra", memo="Extra")
    client.force_login(carol)
    response = client.get(reverse("payments:money_overview"))
    overview = response.context["overview"]
    assert overview["platform_revenue"] == Decimal("3.00")
    assert overview["client_balances"] == Decimal("5.00")
    assert overview["reader_earnings_owed"] == Decimal("7.00")
    assert services.system_balance("external") == Decimal("-15.00")
