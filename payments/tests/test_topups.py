"""Top-ups with Stripe keys set: Checkout through the local stub, credited only by the webhook."""

from decimal import Decimal

import pytest
from django.urls import reverse

from payments import services
from payments.models import AutoReload, Movement, StripeCustomer, TopUp
from payments.tests.stripe_stub import SECRET_KEY, event


@pytest.fixture
def alice_client(client, alice):
    client.force_login(alice)
    return client


def test_checkout_session_is_created_with_the_right_parameters(stripe_stub, alice_client, alice):
    response = alice_client.post(reverse("payments:topup"), {"amount": "25"})
    session = TopUp.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"https://checkout.stripe.test/c/pay/{session.checkout_id}"
    assert session.amount == Decimal("25.00") and session.status == TopUp.Status.OPEN and not session.sandbox

    (customer_call,) = stripe_stub.calls("POST", "/v1/customers")
    assert customer_call["params"]["email"] == "alice@example.com"
    assert customer_call["authorization"] == f"Bearer {SECRET_KEY}"
    (call,) = stripe_stub.calls("POST", "/v1/checkout/sessions")
    params = call["params"]
    assert params["mode"] == "payment"
    assert params["customer"] == StripeCustomer.objects.get(user=alice).customer_id
    assert params["payment_intent_data[setup_future_usage]"] == "off_session"
    assert params["payment_intent_data[metadata][purpose]"] == "topup"
    assert params["payment_intent_data[metadata][soulseer_user]"] == str(alice.pk)
    assert params["line_items[0][price_data][unit_amount]"] == "2500"
    assert params["line_items[0][price_data][currency]"] == "usd"
    assert params["success_url"].endswith("/wallet/add-funds/done/?session_id={CHECKOUT_SESSION_ID}")
    assert params["cancel_url"].endswith("/wallet/?cancelled=1")
    assert call["idempotency_key"]
    # Coming back from Checkout credits nothing: only the webhook does.
    page = alice_client.get(reverse("payments:topup_return") + f"?session_id={session.checkout_id}")
    assert "Stripe is confirming your payment" in page.content.decode()
    assert services.balance(alice) == Decimal("0.00")


def test_the_webhook_credits_the_checkout(stripe_stub, alice_client, alice, post_event):
    alice_client.post(reverse("payments:topup"), {"amount": "42.50"})
    session = stripe_stub.objects[TopUp.objects.get().checkout_id]
    session.update(status="complete", payment_status="paid", payment_intent="pi_123")
    assert post_event(event("checkout.session.completed", session)).status_code == 200
    assert services.balance(alice) == Decimal("42.50")
    movement = Movement.objects.get(key=f"topup:{session['id']}")
    assert movement.reference == "pi_123" and movement.kind == Movement.Kind.TOPUP
    page = alice_client.get(reverse("payments:topup_return") + f"?session_id={session['id']}")
    assert "$42.50 was added to your wallet" in page.content.decode()


def test_the_customer_is_created_once(stripe_stub, alice_client):
    alice_client.post(reverse("payments:topup"), {"amount": "10"})
    alice_client.post(reverse("payments:topup"), {"amount": "50"})
    assert len(stripe_stub.calls("POST", "/v1/customers")) == 1
    assert len(stripe_stub.calls("POST", "/v1/checkout/sessions")) == 2


def test_a_stripe_error_shows_a_message_and_stores_nothing(stripe_stub, alice_client):
    stripe_stub.fail_next("POST", "/v1/checkout/sessions", 500, {"type": "api_error", "message": "Boom"})
    response = alice_client.post(reverse("payments:topup"), {"amount": "10"})
    assert response.status_code == 400
    assert "could not be opened" in response.content.decode()
    assert not TopUp.objects.exists()


def test_the_card_used_at_checkout_is_saved_for_auto_reload(stripe_stub, alice, post_event, run_tasks):
    StripeCustomer.objects.create(user=alice, customer_id="cus_alice")
    intent = {
        "id": "pi_9",
        "object": "payment_intent",
        "customer": "cus_alice",
        "payment_method": "pm_card_visa",
        "status": "succeeded",
        "amount": 2500,
        "amount_received": 2500,
        "metadata": {"purpose": "topup", "soulseer_user": str(alice.pk)},
    }
    response = post_event(event("payment_intent.succeeded", intent))
    assert response.json()["outcome"] == "card saved"
    run_tasks()  # the worker fetches the card's brand and last four digits
    setting = AutoReload.objects.get(user=alice)
    assert setting.payment_method_id == "pm_card_visa"
    assert setting.card_label == "Visa ending 4242"
    assert not setting.enabled  # saving a card does not switch auto-reload on
    assert services.balance(alice) == Decimal("0.00")  # the checkout event credits, not this one
