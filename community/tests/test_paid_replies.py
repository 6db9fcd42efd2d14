"""Paid replies: opened with one charge (key message:<id>, 70/30), once, idempotent; refused when the
wallet is short; refunded by staff from the admin. The ledger stays balanced throughout."""

from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse

from community.models import Message, Notification
from community.services import messages
from community.services.rules import CommunityError, NotAllowed
from community.tests.conftest import fund
from payments import services as payments
from payments.models import Movement
from payments.services import InsufficientFunds


@pytest.fixture
def paid(alice, bob):
    messages.send_message(alice, bob, "Will I find a new job this year?")
    return messages.send_message(bob, alice, "Yes — in the spring, through a friend.", price=Decimal("5.00"))


def test_opening_charges_once_and_splits_70_30(paid, alice, bob):
    fund(alice, "20.00")
    opened = messages.open_paid_reply(alice, paid)
    assert opened.paid_at is not None and not opened.is_locked
    movement = Movement.objects.get(key=f"message:{paid.pk}")
    assert opened.movement == movement and movement.amount == Decimal("5.00")
    assert movement.client == alice and movement.reader == bob
    assert payments.balance(alice) == Decimal("15.00")
    assert payments.earnings_balance(bob) == Decimal("3.50")
    assert sorted(e.amount for e in movement.entries.all()) == [Decimal("-5.00"), Decimal("1.50"), Decimal("3.50")]
    call_command("verify_ledger")


def test_a_second_open_charges_nothing_and_it_stays_open(paid, alice, bob):
    fund(alice, "20.00")
    first = messages.open_paid_reply(alice, paid)
    again = messages.open_paid_reply(alice, paid)
    assert again.paid_at == first.paid_at and again.movement_id == first.movement_id
    assert Movement.objects.filter(kind=Movement.Kind.CHARGE).count() == 1
    assert payments.balance(alice) == Decimal("15.00")
    paid.refresh_from_db()
    assert paid.visible_to(alice)


def test_a_short_wallet_is_refused_and_nothing_moves(paid, alice, bob):
    fund(alice, "4.99")
    with pytest.raises(InsufficientFunds, match="Not enough funds"):
        messages.open_paid_reply(alice, paid)
    paid.refresh_from_db()
    assert paid.is_locked and paid.movement is None
    assert payments.balance(alice) == Decimal("4.99")
    assert not Movement.objects.filter(kind=Movement.Kind.CHARGE).exists()
    call_command("verify_ledger")


def test_an_empty_wallet_is_refused_too(paid, alice):
    with pytest.raises(InsufficientFunds):
        messages.open_paid_reply(alice, paid)


def test_only_the_recipient_opens_and_free_messages_cost_nothing(paid, alice, bob, dave):
    fund(dave, "50.00")
    with pytest.raises(NotAllowed):
        messages.open_paid_reply(dave, paid)
    with pytest.raises(NotAllowed):
        messages.open_paid_reply(bob, paid)
    free = Message.objects.filter(price__isnull=True).first()
    with pytest.raises(CommunityError, match="free"):
        messages.open_paid_reply(bob, free)
    assert not Movement.objects.filter(kind=Movement.Kind.CHARGE).exists()


def test_staff_refund_a_paid_reply_from_the_admin_once(paid, alice, bob, carol, client):
    fund(alice, "20.00")
    messages.open_paid_reply(alice, paid)
    client.force_login(carol)
    url = reverse("admin:community_message_changelist")
    step = client.post(url, {"action": "refund_paid_reply", "_selected_action": [paid.pk]})
    assert step.status_code == 200 and "Refund the paid reply" in step.content.decode()
    data = {"action": "refund_paid_reply", "_selected_action": [paid.pk], "apply": "1", "reason": "Reply was late"}
    client.post(url, data)
    client.post(url, data)  # a resubmitted form refunds once
    assert payments.balance(alice) == Decimal("20.00")
    assert payments.earnings_balance(bob) == Decimal("0.00")
    refund = Movement.objects.get(kind=Movement.Kind.REFUND)
    assert refund.refund_of.key == f"message:{paid.pk}" and "Reply was late" in refund.memo
    paid.refresh_from_db()
    assert paid.refunded_at is not None and paid.paid_at is not None  # it stays open
    assert Notification.objects.filter(user=alice, text__contains="refunded").exists()
    call_command("verify_ledger")


def test_the_admin_refund_needs_a_paid_reply_and_a_reason(paid, carol, client):
    client.force_login(carol)
    url = reverse("admin:community_message_changelist")
    unpaid = client.post(url, {"action": "refund_paid_reply", "_selected_action": [paid.pk]}, follow=True)
    assert "not paid" in unpaid.content.decode()
    assert not Movement.objects.filter(kind=Movement.Kind.REFUND).exists()


def test_the_refund_service_refuses_an_unpaid_reply(paid, carol):
    with pytest.raises(CommunityError, match="not paid"):
        messages.refund_paid_reply(paid, reason="x", by=carol)
