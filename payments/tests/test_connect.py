"""Stripe Connect Express onboarding for readers, and the earnings page."""

from decimal import Decimal

import pytest
from django.urls import reverse

from payments import services
from payments.models import ConnectAccount


@pytest.fixture
def bob_client(client, bob):
    client.force_login(bob)
    return client


def test_earnings_page_is_for_readers(client, alice, carol):
    assert client.get(reverse("payments:earnings")).status_code == 302
    for user in (alice, carol):
        client.force_login(user)
        assert client.get(reverse("payments:earnings")).status_code == 403


def test_sandbox_onboarding_enables_payouts(sandbox, bob_client, bob):
    assert "Set up payouts" in bob_client.get(reverse("payments:earnings")).content.decode()
    response = bob_client.post(reverse("payments:connect_start"), follow=True)
    body = response.content.decode()
    connect = ConnectAccount.objects.get(user=bob)
    assert connect.sandbox and connect.payouts_enabled and connect.stripe_account_id == f"acct_sandbox_{bob.pk}"
    assert "Payouts enabled" in body and "Sandbox account" in body


def test_stripe_onboarding_creates_an_express_account_and_a_link(stripe_stub, bob_client, bob):
    response = bob_client.post(reverse("payments:connect_start"))
    connect = ConnectAccount.objects.get(user=bob)
    assert response["Location"].startswith(f"https://connect.stripe.test/setup/e/{connect.stripe_account_id}/")
    (account_call,) = stripe_stub.calls("POST", "/v1/accounts")
    assert account_call["params"]["type"] == "express" and account_call["params"]["email"] == "bob@example.com"
    (link_call,) = stripe_stub.calls("POST", "/v1/account_links")
    assert link_call["params"]["type"] == "account_onboarding"
    assert link_call["params"]["refresh_url"].endswith(reverse("payments:connect_refresh"))
    assert link_call["params"]["return_url"].endswith(reverse("payments:connect_return"))
    assert not connect.payouts_enabled

    # An expired link: the refresh URL mints a new one for the same account.
    again = bob_client.get(reverse("payments:connect_refresh"))
    assert again["Location"] != response["Location"]
    assert len(stripe_stub.calls("POST", "/v1/accounts")) == 1

    # Back from Stripe: the status is re-read from the account.
    stripe_stub.objects[connect.stripe_account_id].update(details_submitted=True, payouts_enabled=True)
    page = bob_client.get(reverse("payments:connect_return"), follow=True).content.decode()
    assert "Your payout account is ready." in page and "Payouts enabled" in page
    connect.refresh_from_db()
    assert connect.details_submitted and connect.payouts_enabled


def test_return_before_details_are_complete(stripe_stub, bob_client, bob):
    bob_client.post(reverse("payments:connect_start"))
    page = bob_client.get(reverse("payments:connect_return"), follow=True).content.decode()
    assert "Stripe still needs a few details" in page and "Continue Stripe setup" in page


def test_stripe_failure_on_onboarding_shows_a_message(stripe_stub, bob_client, bob):
    stripe_stub.fail_next("POST", "/v1/accounts", 500, {"type": "api_error", "message": "Down"})
    page = bob_client.post(reverse("payments:connect_start"), follow=True).content.decode()
    assert "Stripe could not start onboarding" in page
    assert not ConnectAccount.objects.exists()


def test_earnings_page_shows_balances_and_history(sandbox, bob_client, alice, bob):
    services.credit_wallet(alice, Decimal("20.00"), key="f", memo="Funds")
    services.charge(alice, bob, Decimal("10.00"), key="reading:1:minute:1", memo="Chat reading, minute 1")
    body = bob_client.get(reverse("payments:earnings")).content.decode()
    assert "$7.00" in body and "Chat reading, minute 1" in body
    assert "Funds" not in body  # the client's top-up is not the reader's business
