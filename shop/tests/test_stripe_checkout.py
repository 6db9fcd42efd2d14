"""A short wallet with real Stripe keys: stripe-python against the local stand-in opens a hosted Checkout
for the difference, and only the signed webhook that credits the wallet pays the order."""

from decimal import Decimal

import pytest
from django.urls import reverse

from payments import services as payments
from payments.models import TopUp
from payments.tests.stripe_stub import event
from shop.models import Order
from shop.tests.orders_factories import ADDRESS, product, reader
from shop.tests.orders_factories import client as funded_client

pytestmark = pytest.mark.django_db


def test_the_webhook_credits_the_difference_and_pays_the_order(
    client, stripe_stub, post_event, django_capture_on_commit_callbacks
):
    buyer = funded_client("10.00")
    client.force_login(buyer)
    client.post(reverse("shop:cart_add", args=[product(reader(), price="30.00").pk]), {"quantity": 1})
    token = client.get(reverse("shop:checkout")).context["form"].initial["key"]
    response = client.post(reverse("shop:checkout"), {"key": token, **{f"ship-{k}": v for k, v in ADDRESS.items()}})

    order = Order.objects.get()
    topup = TopUp.objects.get(pk=order.topup_id)
    assert response.status_code == 302 and response.url.startswith("https://checkout.stripe.test/")
    assert topup.amount == Decimal("20.00") and not topup.sandbox
    assert order.status == Order.Status.AWAITING_PAYMENT  # the browser coming back proves nothing

    back = client.get(reverse("payments:topup_return"), {"session_id": topup.checkout_id})
    assert back.url == order.get_absolute_url()
    assert Order.objects.get().status == Order.Status.AWAITING_PAYMENT

    session = {
        "id": topup.checkout_id,
        "object": "checkout.session",
        "mode": "payment",
        "status": "complete",
        "payment_status": "paid",
        "customer": buyer.stripe_customer.customer_id,
        "amount_total": 2000,
        "currency": "usd",
        "payment_intent": "pi_order",
        "metadata": {"purpose": "topup"},
    }
    with django_capture_on_commit_callbacks(execute=True):
        assert post_event(event("checkout.session.completed", session, event_id="evt_order")).status_code == 200

    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert payments.balance(buyer) == Decimal("0.00")
    assert payments.ledger_discrepancies() == []
