"""The only module that talks to Stripe. Thin wrappers; no database access, never called under a lock.

Amounts cross this boundary as ``Decimal`` dollars and are sent to Stripe as integer cents.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import stripe
from django.conf import settings

StripeError = stripe.StripeError
CardError = stripe.CardError
SignatureVerificationError = stripe.SignatureVerificationError


def _configure() -> None:
    stripe.api_key = settings.STRIPE_SECRET_KEY
    stripe.api_base = settings.STRIPE_API_BASE or "https://api.stripe.com"
    stripe.max_network_retries = settings.STRIPE_MAX_NETWORK_RETRIES


def to_cents(amount: Decimal) -> int:
    return int((amount * 100).to_integral_value())


def from_cents(cents: int) -> Decimal:
    return (Decimal(cents) / 100).quantize(Decimal("0.01"))


def construct_event(payload: bytes, signature: str) -> stripe.Event:
    """Check the ``Stripe-Signature`` header against ``STRIPE_WEBHOOK_SECRET`` and parse the event."""
    return stripe.Webhook.construct_event(payload, signature, settings.STRIPE_WEBHOOK_SECRET)


def create_customer(*, email: str, user_id: int) -> stripe.Customer:
    _configure()
    return stripe.Customer.create(email=email, metadata={"soulseer_user": str(user_id)})


def create_checkout_session(
    *, customer: str, amount: Decimal, user_id: int, topup_ref: str, success_url: str, cancel_url: str
) -> stripe.checkout.Session:
    _configure()
    metadata = {"purpose": "topup", "soulseer_user": str(user_id), "topup_ref": topup_ref}
    return stripe.checkout.Session.create(
        mode="payment",
        customer=customer,
        client_reference_id=str(user_id),
        line_items=[
            {
                "quantity": 1,
                "price_data": {
                    "currency": settings.PAYMENTS_CURRENCY,
                    "unit_amount": to_cents(amount),
                    "product_data": {"name": "SoulSeer wallet top-up"},
                },
            }
        ],
        payment_intent_data={"setup_future_usage": "off_session", "metadata": metadata},
        metadata=metadata,
        success_url=success_url,
        cancel_url=cancel_url,
        idempotency_key=f"checkout-{topup_ref}",
    )


def create_off_session_payment(
    *, customer: str, payment_method: str, amount: Decimal, user_id: int, attempt_id: int
) -> stripe.PaymentIntent:
    """Charge a saved card without the client present. Raises :class:`CardError` on a decline."""
    _configure()
    return stripe.PaymentIntent.create(
        amount=to_cents(amount),
        currency=settings.PAYMENTS_CURRENCY,
        customer=customer,
        payment_method=payment_method,
        off_session=True,
        confirm=True,
        description="SoulSeer wallet auto-reload",
        metadata={"purpose": "auto_reload", "soulseer_user": str(user_id), "attempt": str(attempt_id)},
        idempotency_key=f"auto-reload-{attempt_id}",
    )


def retrieve_payment_method(payment_method: str) -> stripe.PaymentMethod:
    _configure()
    return stripe.PaymentMethod.retrieve(payment_method)


def create_express_account(*, email: str, user_id: int) -> stripe.Account:
    _configure()
    return stripe.Account.create(
        type="express",
        email=email,
        capabilities={"transfers": {"requested": True}},
        metadata={"soulseer_user": str(user_id)},
    )


def create_account_link(*, account: str, refresh_url: str, return_url: str) -> stripe.AccountLink:
    _configure()
    return stripe.AccountLink.create(
        account=account, refresh_url=refresh_url, return_url=return_url, type="account_onboarding"
    )


def retrieve_account(account: str) -> dict[str, Any]:
    _configure()
    return stripe.Account.retrieve(account).to_dict()


def create_transfer(
    *, amount: Decimal, destination: str, transfer_group: str, idempotency_key: str, metadata: dict[str, str]
) -> stripe.Transfer:
    _configure()
    return stripe.Transfer.create(
        amount=to_cents(amount),
        currency=settings.PAYMENTS_CURRENCY,
        destination=destination,
        transfer_group=transfer_group,
        metadata=metadata,
        idempotency_key=idempotency_key,
    )


def card_error_intent_id(exc: stripe.CardError) -> str:
    """The PaymentIntent a declined off-session charge left behind, if Stripe named it."""
    intent = getattr(exc.error, "payment_intent", None) if exc.error else None
    return getattr(intent, "id", "") or ""


def list_checkout_sessions(*, created_gte: int) -> list[dict[str, Any]]:
    _configure()
    return [
        o.to_dict() for o in stripe.checkout.Session.list(created={"gte": created_gte}, limit=100).auto_paging_iter()
    ]


def list_payment_intents(*, created_gte: int) -> list[dict[str, Any]]:
    _configure()
    return [o.to_dict() for o in stripe.PaymentIntent.list(created={"gte": created_gte}, limit=100).auto_paging_iter()]


def list_transfers(*, created_gte: int) -> list[dict[str, Any]]:
    _configure()
    return [o.to_dict() for o in stripe.Transfer.list(created={"gte": created_gte}, limit=100).auto_paging_iter()]
