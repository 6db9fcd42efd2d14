"""Auto-reload: one off-session top-up per dip below the client's threshold."""

from __future__ import annotations

import logging
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from payments import gateway, tasks
from payments.models import (
    AutoReload,
    AutoReloadAttempt,
    Movement,
    StripeCustomer,
)
from payments.services import wallet
from payments.services.ledger import CENT, PaymentError, _require_role, balance, to_amount
from payments.services.topups import topup_amount

log = logging.getLogger(__name__)


def auto_reload_for(user) -> AutoReload:
    """The client's auto-reload settings (unsaved defaults when they never set any)."""
    return AutoReload.objects.filter(user_id=user.pk).first() or AutoReload(
        user=user,
        threshold=settings.PAYMENTS_AUTO_RELOAD_THRESHOLD,
        amount=settings.PAYMENTS_AUTO_RELOAD_AMOUNT,
    )


def save_auto_reload(user, *, enabled: bool, threshold: Decimal, amount: Decimal) -> AutoReload:
    _require_role(user, User.Role.CLIENT, "Only client accounts have a wallet.")
    amount = topup_amount(amount)
    threshold = to_amount(threshold, minimum=CENT, maximum=settings.PAYMENTS_TOPUP_MAX, what="The threshold")
    with transaction.atomic():
        setting = AutoReload.objects.select_for_update().filter(user_id=user.pk).first() or AutoReload(user=user)
        if enabled and not settings.PAYMENTS_SANDBOX and not setting.payment_method_id:
            raise PaymentError("Add funds once with a card first; that card is then saved for auto-reload.")
        setting.enabled, setting.threshold, setting.amount = enabled, threshold, amount
        setting.armed = True  # new settings: the next dip below the threshold may reload
        setting.save()
    return setting


def request_auto_reload(user) -> bool:
    """Attempt an off-session top-up at most once per dip below the client's threshold.

    Safe to call any number of times (and inside the caller's transaction). Locks only the
    auto-reload row, never the wallet; the Stripe call runs in the task worker. Returns whether an
    attempt was scheduled.
    """
    with transaction.atomic():
        setting = AutoReload.objects.select_for_update().filter(user_id=user.pk, enabled=True).first()
        if setting is None or (not settings.PAYMENTS_SANDBOX and not setting.payment_method_id):
            return False
        if balance(user) >= setting.threshold:
            if not setting.armed:
                setting.armed = True
                setting.save(update_fields=["armed", "updated_at"])
            return False
        if not setting.armed:
            return False  # already attempted for this dip
        setting.armed = False
        setting.last_status, setting.last_message = AutoReload.Status.PENDING, "Adding funds to your wallet…"
        setting.last_attempt_at = timezone.now()
        setting.save(update_fields=["armed", "last_status", "last_message", "last_attempt_at", "updated_at"])
        attempt = AutoReloadAttempt.objects.create(user_id=user.pk, amount=setting.amount)
        tasks.run_auto_reload.enqueue(attempt.pk)  # the worker calls Stripe, never this caller
    return True


AUTH_REQUIRED_MESSAGE = "Your bank asked to confirm this payment. Add funds from your wallet to confirm your card."


def run_auto_reload(attempt_id: int) -> AutoReloadAttempt:
    """Carry out a queued attempt (task worker). Sandbox: credits directly. Stripe: off-session charge."""
    attempt = AutoReloadAttempt.objects.select_related("user").get(pk=attempt_id)
    if attempt.status != AutoReloadAttempt.Status.PENDING or attempt.payment_intent_id:
        return attempt
    if settings.PAYMENTS_SANDBOX:
        with transaction.atomic():
            movement = wallet.credit_wallet(
                attempt.user,
                attempt.amount,
                key=f"autoreload:{attempt.pk}",
                memo="Auto-reload (sandbox, no card charged)",
                kind=Movement.Kind.AUTO_RELOAD,
            )
            return _finish_attempt(attempt.pk, AutoReloadAttempt.Status.SUCCEEDED, movement=movement)
    setting = AutoReload.objects.get(user_id=attempt.user_id)
    customer = StripeCustomer.objects.filter(user_id=attempt.user_id).values_list("customer_id", flat=True).first()
    try:
        intent = gateway.create_off_session_payment(
            customer=customer or "",
            payment_method=setting.payment_method_id,
            amount=attempt.amount,
            user_id=attempt.user_id,
            attempt_id=attempt.pk,
        )
    except gateway.CardError as exc:
        code = exc.code or "card_error"
        message = AUTH_REQUIRED_MESSAGE if code == "authentication_required" else (exc.user_message or "Card declined.")
        return _finish_attempt(
            attempt.pk,
            AutoReloadAttempt.Status.FAILED,
            code=code,
            message=message,
            intent=gateway.card_error_intent_id(exc),
        )
    except gateway.StripeError:
        log.exception("auto-reload attempt %s failed", attempt.pk)
        return _finish_attempt(
            attempt.pk, AutoReloadAttempt.Status.FAILED, code="error", message="The card could not be charged."
        )
    if intent.status == "succeeded":
        # The webhook (payment_intent.succeeded) credits the wallet; here we only note the intent.
        AutoReloadAttempt.objects.filter(pk=attempt.pk).update(payment_intent_id=intent.id)
        attempt.refresh_from_db()
        return attempt
    if intent.status == "requires_action":
        return _finish_attempt(
            attempt.pk, AutoReloadAttempt.Status.FAILED, code="authentication_required", message=AUTH_REQUIRED_MESSAGE
        )
    AutoReloadAttempt.objects.filter(pk=attempt.pk).update(payment_intent_id=intent.id)
    attempt.refresh_from_db()
    return attempt


def _finish_attempt(
    attempt_id: int,
    status: str,
    *,
    movement: Movement | None = None,
    code: str = "",
    message: str = "",
    intent: str = "",
) -> AutoReloadAttempt:
    with transaction.atomic():
        attempt = AutoReloadAttempt.objects.select_for_update().get(pk=attempt_id)
        if attempt.status == AutoReloadAttempt.Status.SUCCEEDED:
            return attempt
        attempt.status, attempt.finished_at = status, timezone.now()
        attempt.failure_code, attempt.message = code[:64], message[:255]
        attempt.movement = movement or attempt.movement
        attempt.payment_intent_id = intent or attempt.payment_intent_id
        attempt.save()
        if status == AutoReloadAttempt.Status.SUCCEEDED:
            text = f"${attempt.amount} was added to your wallet."
        else:
            text = f"Auto-reload of ${attempt.amount} failed: {message}"
        AutoReload.objects.filter(user_id=attempt.user_id).update(
            last_status=status, last_message=text[:255], updated_at=timezone.now()
        )
    return attempt
