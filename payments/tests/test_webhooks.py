"""The Stripe webhook endpoint: real signatures, each event handled once, unknown customers answered calmly."""

import json
import time
from decimal import Decimal

import pytest

from payments import services
from payments.models import ConnectAccount, Movement, StripeCustomer, StripeEvent, TopUp
from payments.tests.stripe_stub import event, sign


@pytest.fixture
def checkout(stripe_stub, alice):
    StripeCustomer.objects.create(user=alice, customer_id="cus_alice")
    TopUp.objects.create(user=alice, amount=Decimal("25.00"), checkout_id="cs_test_1")
    return {
        "id": "cs_test_1",
        "object": "checkout.session",
        "mode": "payment",
        "status": "complete",
        "payment_status": "paid",
        "customer": "cus_alice",
        "amount_total": 2500,
        "currency": "usd",
        "payment_intent": "pi_1",
        "metadata": {"purpose": "topup", "soulseer_user": str(alice.pk)},
    }


def test_checkout_completed_credits_the_wallet_once(checkout, alice, post_event):
    response = post_event(event("checkout.session.completed", checkout, event_id="evt_1"))
    assert response.status_code == 200 and response.json()["outcome"] == "credited topup:cs_test_1"
    assert services.balance(alice) == Decimal("25.00")
    assert TopUp.objects.get().status == TopUp.Status.PAID
    assert StripeEvent.objects.get().outcome == "credited topup:cs_test_1"


def test_a_replayed_event_credits_once(checkout, alice, post_event):
    payload = event("checkout.session.completed", checkout, event_id="evt_1")
    post_event(payload)
    replay = post_event(payload)
    assert replay.status_code == 200 and replay.json()["outcome"] == "duplicate"
    assert services.balance(alice) == Decimal("25.00")
    assert StripeEvent.objects.count() == 1


def test_two_events_for_one_payment_credit_once(checkout, alice, post_event):
    post_event(event("checkout.session.completed", checkout, event_id="evt_1"))
    post_event(event("checkout.session.async_payment_succeeded", checkout, event_id="evt_2"))
    assert services.balance(alice) == Decimal("25.00")
    assert Movement.objects.filter(key="topup:cs_test_1").count() == 1


def test_an_unpaid_session_credits_nothing(checkout, alice, post_event):
    checkout["payment_status"] = "unpaid"
    response = post_event(event("checkout.session.completed", checkout))
    assert response.json()["outcome"] == "not paid yet"
    assert services.balance(alice) == Decimal("0.00")


def test_an_unknown_customer_is_logged_and_answered(stripe_stub, db, post_event, caplog):
    session = {
        "id": "cs_test_stranger",
        "object": "checkout.session",
        "mode": "payment",
        "payment_status": "paid",
        "customer": "cus_nobody",
        "amount_total": 1000,
        "payment_intent": "pi_x",
    }
    response = post_event(event("checkout.session.completed", session))
    assert response.status_code == 200 and response.json()["outcome"] == "unknown customer"
    assert "unknown customer cus_nobody" in caplog.text
    assert not Movement.objects.exists()


@pytest.mark.parametrize(
    "signature",
    ["", "t=1,v1=deadbeef", "garbage"],
)
def test_a_bad_signature_is_refused(checkout, alice, post_event, signature):
    response = post_event(event("checkout.session.completed", checkout), signature=signature)
    assert response.status_code == 400
    assert not StripeEvent.objects.exists()
    assert services.balance(alice) == Decimal("0.00")


def test_a_signature_with_another_secret_is_refused(checkout, alice, post_event):
    response = post_event(event("checkout.session.completed", checkout), secret="whsec_someone_else")
    assert response.status_code == 400
    assert services.balance(alice) == Decimal("0.00")


def test_a_stale_signature_is_refused(checkout, alice, client):
    payload = json.dumps(event("checkout.session.completed", checkout))
    response = client.post(
        "/stripe/webhook/",
        data=payload,
        content_type="application/json",
        headers={"Stripe-Signature": sign(payload, timestamp=int(time.time()) - 3600)},
    )
    assert response.status_code == 400
    assert services.balance(alice) == Decimal("0.00")


def test_a_tampered_body_is_refused(checkout, alice, client):
    payload = json.dumps(event("checkout.session.completed", checkout))
    header = sign(payload)
    response = client.post(
        "/stripe/webhook/",
        data=payload.replace("2500", "250000"),
        content_type="application/json",
        headers={"Stripe-Signature": header},
    )
    assert response.status_code == 400
    assert services.balance(alice) == Decimal("0.00")


def test_unhandled_event_types_are_stored_and_ignored(stripe_stub, db, post_event):
    response = post_event(event("customer.created", {"id": "cus_1", "object": "customer"}))
    assert response.status_code == 200 and response.json()["outcome"] == "ignored"


def test_account_updated_updates_the_connect_status(stripe_stub, bob, post_event):
    ConnectAccount.objects.create(user=bob, stripe_account_id="acct_bob")
    account = {
        "id": "acct_bob",
        "object": "account",
        "details_submitted": True,
        "charges_enabled": True,
        "payouts_enabled": True,
    }
    assert post_event(event("account.updated", account)).json()["outcome"] == "account updated"
    connect = ConnectAccount.objects.get()
    assert connect.details_submitted and connect.payouts_enabled


def test_account_updated_for_an_unknown_account(stripe_stub, db, post_event):
    account = {"id": "acct_nobody", "object": "account", "payouts_enabled": True}
    response = post_event(event("account.updated", account))
    assert response.status_code == 200 and response.json()["outcome"] == "unknown account"


def test_without_a_webhook_secret_the_endpoint_is_off(sandbox, client, db):
    sandbox.STRIPE_WEBHOOK_SECRET = ""
    response = client.post("/stripe/webhook/", data="{}", content_type="application/json")
    assert response.status_code == 404


def test_get_is_not_allowed(stripe_stub, client, db):
    assert client.get("/stripe/webhook/").status_code == 405
