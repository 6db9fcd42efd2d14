"""Verified Stripe webhook events, each handled once by id."""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import IntegrityError, transaction

from payments import gateway, tasks
from payments.models import (
    AutoReload,
    AutoReloadAttempt,
    Movement,
    StripeCustomer,
    StripeEvent,
    TopUp,
)
from payments.services.auto_reload import AUTH_REQUIRED_MESSAGE, _finish_attempt
from payments.services.connect import _apply_account
from payments.services.topups import _mark_topup_paid
from payments.services.wallet import credit_wallet

log = logging.getLogger(__name__)


def process_stripe_event(event: dict) -> str:
    """Handle one verified Stripe event, once by id. Returns a short outcome (stored on the event)."""
    with transaction.atomic():
        try:
            with transaction.atomic():
                record = StripeEvent.objects.create(event_id=event["id"], type=event["type"], payload=event)
        except IntegrityError:
            return "duplicate"
        handler = _EVENT_HANDLERS.get(event["type"])
        outcome = handler(event["data"]["object"]) if handler else "ignored"
        StripeEvent.objects.filter(pk=record.pk).update(outcome=outcome[:255])
    return outcome


def _user_for_customer(customer_id: str | None):
    if not customer_id:
        return None
    record = StripeCustomer.objects.select_related("user").filter(customer_id=customer_id).first()
    return record.user if record else None


def _on_checkout_paid(session: dict) -> str:
    if session.get("mode") != "payment":
        return "ignored: not a payment"
    if session.get("payment_status") != "paid":
        return "not paid yet"
    topup = TopUp.objects.select_for_update().filter(checkout_id=session["id"]).select_related("user").first()
    user = topup.user if topup else _user_for_customer(session.get("customer"))
    if user is None:
        log.warning("checkout.session %s for unknown customer %s", session["id"], session.get("customer"))
        return "unknown customer"
    amount = gateway.from_cents(session["amount_total"])
    if topup and topup.amount != amount:
        log.warning("checkout %s: asked for %s, Stripe says %s paid", session["id"], topup.amount, amount)
    movement = credit_wallet(
        user, amount, key=f"topup:{session['id']}", memo="Wallet top-up", reference=session.get("payment_intent") or ""
    )
    if topup is None:
        topup = TopUp.objects.create(user=user, amount=amount, checkout_id=session["id"])
    _mark_topup_paid(topup, movement)
    return f"credited {movement.key}"


def _on_checkout_expired(session: dict) -> str:
    TopUp.objects.filter(checkout_id=session["id"], status=TopUp.Status.OPEN).update(status=TopUp.Status.EXPIRED)
    return "expired"


def _on_payment_intent_succeeded(intent: dict) -> str:
    metadata = intent.get("metadata") or {}
    purpose = metadata.get("purpose")
    if purpose == "topup":
        return _save_card(intent)
    if purpose != "auto_reload":
        return "ignored"
    attempt = AutoReloadAttempt.objects.select_related("user").filter(pk=metadata.get("attempt") or 0).first()
    user = attempt.user if attempt else None
    if user is None or _user_for_customer(intent.get("customer")) != user:
        log.warning("payment_intent %s: unknown auto-reload attempt or customer", intent["id"])
        return "unknown customer"
    movement = credit_wallet(
        user,
        gateway.from_cents(intent["amount_received"] or intent["amount"]),
        key=f"autoreload:{attempt.pk}",
        memo="Auto-reload",
        kind=Movement.Kind.AUTO_RELOAD,
        reference=intent["id"],
    )
    _finish_attempt(attempt.pk, AutoReloadAttempt.Status.SUCCEEDED, movement=movement, intent=intent["id"])
    return f"credited {movement.key}"


def _on_payment_intent_failed(intent: dict) -> str:
    metadata = intent.get("metadata") or {}
    if metadata.get("purpose") != "auto_reload":
        return "ignored"
    attempt = AutoReloadAttempt.objects.filter(pk=metadata.get("attempt") or 0).first()
    if attempt is None:
        log.warning("payment_intent %s failed for an unknown auto-reload attempt", intent["id"])
        return "unknown attempt"
    error = intent.get("last_payment_error") or {}
    code = error.get("code") or "card_declined"
    message = AUTH_REQUIRED_MESSAGE if code == "authentication_required" else error.get("message") or "Card declined."
    _finish_attempt(attempt.pk, AutoReloadAttempt.Status.FAILED, code=code, message=message, intent=intent["id"])
    return f"recorded failure {code}"


def _save_card(intent: dict) -> str:
    user = _user_for_customer(intent.get("customer"))
    if user is None:
        log.warning("payment_intent %s for unknown customer %s", intent["id"], intent.get("customer"))
        return "unknown customer"
    payment_method = intent.get("payment_method")
    if not payment_method:
        return "no card to save"
    setting, _ = AutoReload.objects.get_or_create(
        user=user,
        defaults={
            "threshold": settings.PAYMENTS_AUTO_RELOAD_THRESHOLD,
            "amount": settings.PAYMENTS_AUTO_RELOAD_AMOUNT,
        },
    )
    if setting.payment_method_id != payment_method:
        AutoReload.objects.filter(pk=setting.pk).update(payment_method_id=payment_method, card_brand="", card_last4="")
        tasks.refresh_card_details.enqueue(user.pk)
    return "card saved"


def refresh_card_details(user_id: int) -> None:
    """After commit: fetch the saved card's brand and last four digits for display."""
    payment_method = AutoReload.objects.filter(user_id=user_id).values_list("payment_method_id", flat=True).first()
    if not payment_method:
        return
    try:
        card = gateway.retrieve_payment_method(payment_method).card
    except gateway.StripeError:
        log.exception("could not fetch payment method %s", payment_method)
        return
    AutoReload.objects.filter(user_id=user_id, payment_method_id=payment_method).update(
        card_brand=card.brand or "", card_last4=card.last4 or ""
    )


def _on_account_updated(account: dict) -> str:
    updated = _apply_account(account)
    if not updated:
        log.warning("account.updated for unknown account %s", account.get("id"))
        return "unknown account"
    return "account updated"


_EVENT_HANDLERS = {
    "checkout.session.completed": _on_checkout_paid,
    "checkout.session.async_payment_succeeded": _on_checkout_paid,
    "checkout.session.expired": _on_checkout_expired,
    "payment_intent.succeeded": _on_payment_intent_succeeded,
    "payment_intent.payment_failed": _on_payment_intent_failed,
    "account.updated": _on_account_updated,
}
