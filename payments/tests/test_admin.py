"""The admin: read-only ledger, a refund action with an intermediate form, pay-out and retry actions."""

from decimal import Decimal

import pytest
from django.urls import reverse

from payments import services
from payments.models import ConnectAccount, Movement, Payout


@pytest.fixture
def carol_client(client, carol):
    client.force_login(carol)
    return client


@pytest.fixture
def charged(funded, bob):
    return services.charge(funded, bob, Decimal("10.00"), key="spread:1", memo="Tarot spread")


def test_ledger_pages_render_read_only(carol_client, charged):
    for name in ["movement", "entry", "account", "payout", "topup", "connectaccount", "stripeevent"]:
        assert carol_client.get(reverse(f"admin:payments_{name}_changelist")).status_code == 200
    page = carol_client.get(reverse("admin:payments_movement_change", args=[charged.pk]))
    assert page.status_code == 200 and "Tarot spread" in page.content.decode()
    assert carol_client.get(reverse("admin:payments_movement_add")).status_code == 403
    search = carol_client.get(reverse("admin:payments_movement_changelist"), {"q": "spread:1"})
    assert "Tarot spread" in search.content.decode()


def test_refund_action_asks_then_refunds_once(carol_client, charged, funded, bob):
    url = reverse("admin:payments_movement_changelist")
    form = carol_client.post(url, {"action": "refund_action", "_selected_action": [charged.pk]})
    assert form.status_code == 200 and "$10.00 can still be refunded" in form.content.decode()
    token = form.context["form"].initial["token"]
    data = {
        "action": "refund_action",
        "_selected_action": [charged.pk],
        "apply": "1",
        "amount": "4.00",
        "reason": "Connection dropped",
        "token": token,
    }
    carol_client.post(url, data)
    carol_client.post(url, data)  # a resubmitted form refunds once
    assert services.balance(funded) == Decimal("44.00")
    refund = Movement.objects.get(kind=Movement.Kind.REFUND)
    assert refund.amount == Decimal("4.00") and "Connection dropped" in refund.memo


def test_refund_action_shows_errors(carol_client, charged, funded):
    url = reverse("admin:payments_movement_changelist")
    data = {"action": "refund_action", "_selected_action": [charged.pk], "apply": "1", "token": "t1"}
    too_much = carol_client.post(url, {**data, "amount": "11", "reason": "Too much"})
    assert "At most $10.00" in too_much.content.decode()
    no_reason = carol_client.post(url, {**data, "amount": "1"})
    assert "This field is required" in no_reason.content.decode()
    assert services.balance(funded) == Decimal("40.00")


def test_pay_out_now_and_retry_actions(
    sandbox, carol_client, charged, bob, django_capture_on_commit_callbacks, run_tasks
):
    connect = ConnectAccount.objects.create(
        user=bob, stripe_account_id="acct_sandbox_b", sandbox=True, payouts_enabled=True
    )
    with django_capture_on_commit_callbacks(execute=True):
        carol_client.post(
            reverse("admin:payments_connectaccount_changelist"),
            {"action": "pay_out_now", "_selected_action": [connect.pk]},
        )
    run_tasks()  # the task worker sends what was queued
    payout = Payout.objects.get()
    assert payout.status == Payout.Status.PAID and payout.amount == Decimal("7.00")
    Payout.objects.update(status=Payout.Status.FAILED)
    carol_client.post(reverse("admin:payments_payout_changelist"), {"action": "retry", "_selected_action": [payout.pk]})
    payout.refresh_from_db()
    assert payout.status == Payout.Status.PAID
