"""The wallet page: sandbox top-up end to end, bad input refused, only your own money visible."""

from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.tests.factories import UserFactory
from payments import services
from payments.models import Movement, TopUp


@pytest.fixture
def alice_client(client, alice):
    client.force_login(alice)
    return client


def test_wallet_needs_a_client(client, bob, carol):
    assert client.get(reverse("payments:wallet")).status_code == 302
    client.force_login(bob)
    assert client.get(reverse("payments:wallet")).status_code == 403
    client.force_login(carol)
    assert client.get(reverse("payments:wallet")).status_code == 403


def test_sandbox_top_up_end_to_end(sandbox, alice_client, alice):
    page = alice_client.get(reverse("payments:wallet"))
    assert page.status_code == 200 and "$0.00" in page.content.decode()

    response = alice_client.post(reverse("payments:topup"), {"amount": "25"})
    pending = TopUp.objects.get()
    assert pending.sandbox and response["Location"] == reverse("payments:sandbox_checkout", args=[pending.checkout_id])
    checkout = alice_client.get(response["Location"])
    assert "Sandbox — no card is charged" in checkout.content.decode()
    assert services.balance(alice) == Decimal("0.00")

    done = alice_client.post(response["Location"], follow=True)
    body = done.content.decode()
    assert "$25.00 was added to your wallet" in body
    assert "Wallet top-up (sandbox" in body  # in the history
    assert services.balance(alice) == Decimal("25.00")

    # A double click or a refresh never credits twice.
    again = alice_client.post(response["Location"], follow=True)
    assert "already completed" in again.content.decode()
    assert services.balance(alice) == Decimal("25.00")
    assert Movement.objects.filter(kind=Movement.Kind.TOPUP).count() == 1


def test_custom_amount_top_up(sandbox, alice_client, alice):
    response = alice_client.post(reverse("payments:topup"), {"amount": "12.34"})
    alice_client.post(response["Location"])
    assert services.balance(alice) == Decimal("12.34")


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("0", "must be more than zero"),
        ("-5", "must be more than zero"),
        ("1.234", "at most two decimal places"),
        ("501", "at most $500"),
        ("4.99", "at least $5"),
        ("ten dollars", "Enter an amount in dollars"),
        ("", "Enter an amount"),
    ],
)
def test_bad_amounts_show_an_error_and_move_nothing(sandbox, alice_client, alice, amount, message):
    response = alice_client.post(reverse("payments:topup"), {"amount": amount})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not TopUp.objects.exists() and not Movement.objects.exists()


def test_someone_elses_sandbox_checkout_is_not_found(sandbox, alice_client, alice):
    other = UserFactory()
    mine = services.start_topup(other, Decimal("10"), success_url="", cancel_url="")[0]
    url = reverse("payments:sandbox_checkout", args=[mine.checkout_id])
    assert alice_client.get(url).status_code == 404
    assert alice_client.post(url).status_code == 404
    assert services.balance(other) == Decimal("0.00") and services.balance(alice) == Decimal("0.00")


def test_only_my_history_is_visible(sandbox, alice_client, alice, bob):
    other = UserFactory()
    services.credit_wallet(other, Decimal("77.00"), key="t:other", memo="Someone else's top-up")
    services.credit_wallet(alice, Decimal("20.00"), key="t:alice", memo="My top-up")
    body = alice_client.get(reverse("payments:wallet")).content.decode()
    assert "My top-up" in body and "$20.00" in body
    assert "Someone else" not in body and "77.00" not in body


def test_history_is_filtered_and_paginated(sandbox, settings, alice_client, alice, bob):
    settings.PAYMENTS_HISTORY_PAGE_SIZE = 5
    services.credit_wallet(alice, Decimal("100.00"), key="t:fund", memo="Big top-up")
    for n in range(7):
        services.charge(alice, bob, Decimal("1.00"), key=f"t:charge:{n}", memo=f"Minute {n}")
    first = alice_client.get(reverse("payments:wallet"), {"kind": "charge"})
    body = first.content.decode()
    assert "Page 1 of 2" in body and "Big top-up" not in body and "Minute 6" in body
    assert "kind=charge&amp;page=2" in body
    second = alice_client.get(reverse("payments:wallet"), {"kind": "charge", "page": 2}).content.decode()
    assert "Minute 0" in second and "Minute 6" not in second
    topups = alice_client.get(reverse("payments:wallet"), {"kind": "topup"}).content.decode()
    assert "Big top-up" in topups and "Minute" not in topups


def test_history_fragment_for_htmx(sandbox, alice_client, alice):
    services.credit_wallet(alice, Decimal("20.00"), key="t:alice", memo="My top-up")
    response = alice_client.get(reverse("payments:wallet"), headers={"HX-Request": "true", "HX-Target": "history"})
    body = response.content.decode()
    assert "My top-up" in body and "<html" not in body


def test_auto_reload_settings_are_saved(sandbox, alice_client, alice):
    response = alice_client.post(reverse("payments:auto_reload"), {"enabled": "on", "threshold": "5", "amount": "20"})
    assert response.status_code == 302
    setting = services.auto_reload_for(alice)
    assert setting.enabled and setting.threshold == Decimal("5.00") and setting.amount == Decimal("20.00")


@pytest.mark.parametrize(
    "data",
    [{"threshold": "-1", "amount": "20"}, {"threshold": "5", "amount": "1000"}, {"threshold": "x", "amount": "2"}],
)
def test_bad_auto_reload_settings_are_refused(sandbox, alice_client, alice, data):
    response = alice_client.post(reverse("payments:auto_reload"), {"enabled": "on", **data})
    assert response.status_code == 400
    assert services.auto_reload_for(alice).pk is None


def test_auto_reload_needs_a_saved_card_with_stripe(stripe_stub, alice_client, alice):
    response = alice_client.post(reverse("payments:auto_reload"), {"enabled": "on", "threshold": "5", "amount": "20"})
    assert response.status_code == 400
    assert "Add funds once with a card first" in response.content.decode()
