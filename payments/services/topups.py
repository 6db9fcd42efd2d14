"""Top-ups: Stripe Checkout (credited by the webhook) and the sandbox."""

from __future__ import annotations

import logging
import uuid
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from payments import gateway
from payments.models import (
    Movement,
    StripeCustomer,
    TopUp,
)
from payments.services.ledger import PaymentError, _require_role, to_amount
from payments.services.wallet import credit_wallet
from payments.signals import topup_paid

log = logging.getLogger(__name__)


def topup_amount(value) -> Decimal:
    return to_amount(
        value, minimum=settings.PAYMENTS_TOPUP_MIN, maximum=settings.PAYMENTS_TOPUP_MAX, what="The top-up amount"
    )


def _ensure_customer(user) -> str:
    existing = StripeCustomer.objects.filter(user_id=user.pk).values_list("customer_id", flat=True).first()
    if existing:
        return existing
    customer = gateway.create_customer(email=user.email, user_id=user.pk)  # no transaction open here
    record, _ = StripeCustomer.objects.get_or_create(user_id=user.pk, defaults={"customer_id": customer.id})
    return record.customer_id


def start_topup(user, amount, *, success_url: str, cancel_url: str, return_to: str = "") -> tuple[TopUp, str]:
    """Begin adding funds. Returns the pending top-up and the URL to send the browser to.

    With Stripe keys: a hosted Checkout Session (the wallet is credited by the webhook). In the
    sandbox: the sandbox checkout page (``sandbox_url`` is filled in by the caller's URL).
    ``return_to`` is a site path the browser is sent back to once the top-up is paid.
    """
    _require_role(user, User.Role.CLIENT, "Only client accounts have a wallet.")
    amount = topup_amount(amount)
    if settings.PAYMENTS_SANDBOX:
        topup = TopUp.objects.create(
            user=user, amount=amount, sandbox=True, checkout_id=f"sbx_{uuid.uuid4().hex}", return_to=return_to
        )
        return topup, ""
    customer = _ensure_customer(user)
    ref = uuid.uuid4().hex
    try:
        session = gateway.create_checkout_session(
            customer=customer,
            amount=amount,
            user_id=user.pk,
            topup_ref=ref,
            success_url=success_url,
            cancel_url=cancel_url,
        )
    except gateway.StripeError as exc:
        log.exception("checkout session for user %s failed", user.pk)
        raise PaymentError("The payment page could not be opened. Please try again in a minute.") from exc
    topup = TopUp.objects.create(user=user, amount=amount, checkout_id=session.id, return_to=return_to)
    return topup, session.url


def complete_sandbox_topup(user, checkout_id: str) -> Movement:
    """The sandbox's stand-in for Stripe saying 'paid': credits once, however often it is confirmed."""
    with transaction.atomic():
        topup = TopUp.objects.select_for_update().filter(checkout_id=checkout_id, user_id=user.pk, sandbox=True).first()
        if topup is None:
            raise PaymentError("This sandbox checkout does not exist.")
        movement = credit_wallet(
            user, topup.amount, key=f"topup:{checkout_id}", memo="Wallet top-up (sandbox, no card charged)"
        )
        _mark_topup_paid(topup, movement)
    return movement


def _mark_topup_paid(topup: TopUp, movement: Movement) -> None:
    if topup.status != TopUp.Status.PAID:
        topup.status, topup.movement, topup.paid_at = TopUp.Status.PAID, movement, timezone.now()
        topup.save(update_fields=["status", "movement", "paid_at"])
        transaction.on_commit(lambda: topup_paid.send(sender=TopUp, topup=topup))
