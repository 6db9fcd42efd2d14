"""Auto-reload: one off-session attempt per dip below the threshold; success and failure recorded and shown."""

from decimal import Decimal

import pytest
from django.urls import reverse

from payments import services
from payments.models import AutoReload, AutoReloadAttempt, Movement, StripeCustomer
from payments.tests.stripe_stub import event


def enable(user, *, card="pm_card_visa", threshold="5.00", amount="20.00"):
    StripeCustomer.objects.get_or_create(user=user, defaults={"customer_id": f"cus_{user.pk}"})
    AutoReload.objects.create(
        user=user, enabled=True, threshold=Decimal(threshold), amount=Decimal(amount), payment_method_id=card
    )


def test_sandbox_reload_credits_once_per_dip(sandbox, funded, bob, django_capture_on_commit_callbacks, run_tasks):
    enable(funded, card="")
    with django_capture_on_commit_callbacks(execute=True):
        services.charge(funded, bob, Decimal("46.00"), key="c:1", memo="Long reading")  # leaves $4.00
    run_tasks()  # the task worker sends what was queued
    assert services.balance(funded) == Decimal("24.00")
    attempt = AutoReloadAttempt.objects.get()
    assert attempt.status == AutoReloadAttempt.Status.SUCCEEDED
    assert Movement.objects.get(key=f"autoreload:{attempt.pk}").kind == Movement.Kind.AUTO_RELOAD
    setting = AutoReload.objects.get()
    assert setting.last_status == "succeeded" and "$20.00 was added" in setting.last_message


def test_no_reload_while_above_the_threshold(sandbox, funded, bob, django_capture_on_commit_callbacks, run_tasks):
    enable(funded, card="")
    with django_capture_on_commit_callbacks(execute=True):
        services.charge(funded, bob, Decimal("45.00"), key="c:1", memo="Reading")  # exactly $5.00 left
    run_tasks()  # the task worker sends what was queued
    assert not AutoReloadAttempt.objects.exists()
    assert services.request_auto_reload(funded) is False


def test_disabled_auto_reload_does_nothing(sandbox, funded, bob):
    enable(funded, card="")
    AutoReload.objects.update(enabled=False)
    services.charge(funded, bob, Decimal("49.00"), key="c:1", memo="Reading")
    assert services.request_auto_reload(funded) is False
    assert not AutoReloadAttempt.objects.exists()


def test_once_per_dip_not_once_per_debit(stripe_stub, funded, bob, django_capture_on_commit_callbacks, run_tasks):
    enable(funded, card="pm_card_chargeDeclined")
    with django_capture_on_commit_callbacks(execute=True):
        services.charge(funded, bob, Decimal("46.00"), key="c:1", memo="Minute 1")
        services.charge(funded, bob, Decimal("1.00"), key="c:2", memo="Minute 2")
        services.charge(funded, bob, Decimal("1.00"), key="c:3", memo="Minute 3")
        assert services.request_auto_reload(funded) is False
        assert services.request_auto_reload(funded) is False
    run_tasks()  # the task worker sends what was queued
    assert AutoReloadAttempt.objects.count() == 1
    assert len(stripe_stub.calls("POST", "/v1/payment_intents")) == 1
    # A top-up back above the threshold re-arms it: the next dip tries again.
    services.credit_wallet(funded, Decimal("10.00"), key="t:again", memo="Top-up")
    with django_capture_on_commit_callbacks(execute=True):
        services.charge(funded, bob, Decimal("10.00"), key="c:4", memo="Minute 4")
    run_tasks()  # the task worker sends what was queued
    assert AutoReloadAttempt.objects.count() == 2


def test_off_session_charge_then_webhook_credits(
    stripe_stub, funded, bob, post_event, django_capture_on_commit_callbacks, run_tasks
):
    enable(funded)
    with django_capture_on_commit_callbacks(execute=True):
        services.charge(funded, bob, Decimal("46.00"), key="c:1", memo="Reading")
    run_tasks()  # the task worker sends what was queued
    attempt = AutoReloadAttempt.objects.get()
    (call,) = stripe_stub.calls("POST", "/v1/payment_intents")
    params = call["params"]
    assert params["off_session"] == "true" and params["confirm"] == "true"
    assert params["amount"] == "2000" and params["customer"] == f"cus_{funded.pk}"
    assert params["payment_method"] == "pm_card_visa"
    assert params["metadata[purpose]"] == "auto_reload" and params["metadata[attempt]"] == str(attempt.pk)
    assert call["idempotency_key"] == f"auto-reload-{attempt.pk}"
    # Stripe accepted the charge; the wallet is credited by the webhook, not before.
    assert attempt.status == AutoReloadAttempt.Status.PENDING and attempt.payment_intent_id
    assert services.balance(funded) == Decimal("4.00")

    intent = stripe_stub.objects[attempt.payment_intent_id]
    payload = event("payment_intent.succeeded", intent)
    assert post_event(payload).json()["outcome"] == f"credited autoreload:{attempt.pk}"
    assert post_event(payload).json()["outcome"] == "duplicate"
    assert post_event(event("payment_intent.succeeded", intent)).status_code == 200  # new event id, same payment
    assert services.balance(funded) == Decimal("24.00")
    attempt.refresh_from_db()
    assert attempt.status == AutoReloadAttempt.Status.SUCCEEDED


@pytest.mark.parametrize(
    ("card", "code", "shown"),
    [
        ("pm_card_chargeDeclined", "card_declined", "Your card was declined."),
        ("pm_card_authenticationRequired", "authentication_required", "Your bank asked to confirm this payment"),
    ],
)
def test_a_declined_reload_is_recorded_and_shown(
    stripe_stub, funded, bob, client, card, code, shown, django_capture_on_commit_callbacks, run_tasks
):
    enable(funded, card=card)
    with django_capture_on_commit_callbacks(execute=True):
        services.charge(funded, bob, Decimal("46.00"), key="c:1", memo="Reading")
    run_tasks()  # the task worker sends what was queued
    attempt = AutoReloadAttempt.objects.get()
    assert attempt.status == AutoReloadAttempt.Status.FAILED and attempt.failure_code == code
    assert attempt.payment_intent_id  # taken from the error's payment_intent
    assert services.balance(funded) == Decimal("4.00")
    client.force_login(funded)
    body = client.get(reverse("payments:wallet")).content.decode()
    assert "Last auto-reload: Failed." in body and shown in body


def test_payment_failed_webhook_records_the_failure(stripe_stub, funded, post_event):
    enable(funded)
    attempt = AutoReloadAttempt.objects.create(user=funded, amount=Decimal("20.00"), payment_intent_id="pi_async")
    intent = {
        "id": "pi_async",
        "object": "payment_intent",
        "customer": f"cus_{funded.pk}",
        "status": "requires_payment_method",
        "metadata": {"purpose": "auto_reload", "attempt": str(attempt.pk)},
        "last_payment_error": {"code": "card_declined", "message": "Your card has insufficient funds."},
    }
    assert (
        post_event(event("payment_intent.payment_failed", intent)).json()["outcome"] == "recorded failure card_declined"
    )
    attempt.refresh_from_db()
    assert attempt.status == AutoReloadAttempt.Status.FAILED
    assert "insufficient funds" in AutoReload.objects.get().last_message


def test_a_reload_event_for_someone_elses_attempt_credits_nothing(stripe_stub, funded, alice, post_event):
    from accounts.tests.factories import UserFactory

    enable(funded)
    other = UserFactory()
    StripeCustomer.objects.create(user=other, customer_id="cus_other")
    attempt = AutoReloadAttempt.objects.create(user=funded, amount=Decimal("20.00"))
    intent = {
        "id": "pi_wrong",
        "object": "payment_intent",
        "customer": "cus_other",
        "amount": 2000,
        "amount_received": 2000,
        "status": "succeeded",
        "metadata": {"purpose": "auto_reload", "attempt": str(attempt.pk)},
    }
    assert post_event(event("payment_intent.succeeded", intent)).json()["outcome"] == "unknown customer"
    assert services.balance(funded) == Decimal("50.00") and services.balance(other) == Decimal("0.00")
