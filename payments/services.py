"""Money use cases: the only door to the ledger.

Every function that moves money is one ``transaction.atomic`` block (a savepoint when the caller
already holds a transaction, e.g. the readings engine charging minute *n* with the reading row
locked), idempotent on its key (a UNIQUE column, not only an ``exists()`` check), and locks the
ledger accounts it touches with ``select_for_update`` in primary-key order so concurrent callers
never deadlock. Stripe is never called under a lock: a service decides and records in one
transaction, the Stripe call runs after commit (``transaction.on_commit``), and its outcome is
recorded in a second transaction.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import partial

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone

from accounts.models import User
from payments import gateway
from payments.models import (
    ZERO,
    Account,
    AutoReload,
    AutoReloadAttempt,
    ConnectAccount,
    Entry,
    Movement,
    Payout,
    StripeCustomer,
    StripeEvent,
    TopUp,
)

log = logging.getLogger(__name__)

CENT = Decimal("0.01")
READER_SHARE = Decimal("0.70")


class PaymentError(Exception):
    """A money operation was refused. The message is safe to show to the user."""


class InsufficientFunds(PaymentError):
    """The debit would take a wallet below zero."""


# --- Amounts and the split ------------------------------------------------------------------


def to_amount(value, *, minimum: Decimal = CENT, maximum: Decimal | None = None, what: str = "The amount") -> Decimal:
    """Parse and check a money amount: a number of dollars with at most two decimals, within limits."""
    if isinstance(value, float | bool):
        raise TypeError("Money amounts are Decimal, never float.")
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise PaymentError(f"{what} must be a number of dollars, like 25 or 12.50.") from None
    if not amount.is_finite():
        raise PaymentError(f"{what} must be a number of dollars, like 25 or 12.50.")
    if amount != amount.quantize(CENT):
        raise PaymentError(f"{what} can have at most two decimal places.")
    amount = amount.quantize(CENT)
    if amount <= 0:
        raise PaymentError(f"{what} must be more than zero.")
    if amount < minimum:
        raise PaymentError(f"{what} must be at least ${minimum}.")
    maximum = settings.PAYMENTS_MAX_MOVEMENT if maximum is None else maximum
    if amount > maximum:
        raise PaymentError(f"{what} can be at most ${maximum}.")
    return amount


def split(amount: Decimal) -> tuple[Decimal, Decimal]:
    """(reader_share, platform_share): the reader gets 70 % rounded half-up to the cent, the platform the rest.

    The one place the split lives; the two shares always add up to ``amount``.
    """
    reader = (amount * READER_SHARE).quantize(CENT, rounding=ROUND_HALF_UP)
    return reader, amount - reader


def _prorate(part: Decimal, done: Decimal, total: Decimal) -> Decimal:
    """``part`` scaled by done/total, rounded to the cent; equals ``part`` exactly when done == total."""
    return (part * done / total).quantize(CENT, rounding=ROUND_HALF_UP)


# --- Accounts ---------------------------------------------------------------------------------


def _system_account(kind: str) -> Account:
    account, _ = Account.objects.get_or_create(kind=kind, user=None)
    return account


def _personal_account(user, kind: str, *, create: bool = True) -> Account | None:
    if create:
        account, _ = Account.objects.get_or_create(kind=kind, user_id=user.pk)
        return account
    return Account.objects.filter(kind=kind, user_id=user.pk).first()


def _require_role(user, role: str, message: str) -> None:
    if user is None or getattr(user, "role", None) != role:
        raise PaymentError(message)


def _lock(*accounts: Account) -> dict[int, Account]:
    """Lock the accounts' rows in primary-key order (the one order everyone uses) and return them fresh."""
    ids = sorted({a.pk for a in accounts})
    return {a.pk: a for a in Account.objects.select_for_update().filter(pk__in=ids).order_by("pk")}


def balance(user) -> Decimal:
    """A client's wallet balance; ``0.00`` for someone without a wallet yet."""
    value = Account.objects.filter(kind=Account.Kind.WALLET, user_id=user.pk).values_list("balance", flat=True).first()
    return value if value is not None else ZERO


def earnings_balance(user) -> Decimal:
    """A reader's unpaid earnings (negative only if refunds reversed earnings already paid out)."""
    value = (
        Account.objects.filter(kind=Account.Kind.EARNINGS, user_id=user.pk).values_list("balance", flat=True).first()
    )
    return value if value is not None else ZERO


def movement_for_key(key: str) -> Movement | None:
    return Movement.objects.filter(key=key).first()


# --- The one writer of ledger rows --------------------------------------------------------------


@dataclass
class _Posted:
    movement: Movement
    created: bool
    accounts: dict[int, Account]


def _post(
    *,
    key: str,
    kind: str,
    amount: Decimal,
    legs: list[tuple[Account, Decimal]],
    memo: str,
    reference: str = "",
    client=None,
    reader=None,
    refund_of: Movement | None = None,
    created_by=None,
) -> _Posted:
    """Write one movement and its entries and update the cached balances, or return the movement for ``key``.

    Must run inside a transaction. Refuses (InsufficientFunds) when a wallet would go below zero.
    """
    legs = [(account, value) for account, value in legs if value != 0]
    if sum((value for _, value in legs), ZERO) != 0 or len(legs) < 2:
        raise AssertionError(f"Unbalanced movement {key}: {legs}")
    locked = _lock(*(account for account, _ in legs))
    # Checked after the locks: a concurrent caller with the same key has committed (or not) by now.
    existing = movement_for_key(key)
    if existing is not None:
        return _Posted(existing, False, locked)
    for account, value in legs:
        current = locked[account.pk]
        if current.kind == Account.Kind.WALLET and current.balance + value < 0:
            raise InsufficientFunds(f"Not enough funds: this needs ${-value} and the wallet holds ${current.balance}.")
    try:
        with transaction.atomic():
            movement = Movement.objects.create(
                key=key,
                kind=kind,
                amount=amount,
                memo=memo[:255],
                reference=reference[:200],
                client_id=getattr(client, "pk", None),
                reader_id=getattr(reader, "pk", None),
                refund_of=refund_of,
                created_by_id=getattr(created_by, "pk", None),
            )
    except IntegrityError:
        existing = movement_for_key(key)
        if existing is None:
            raise
        return _Posted(existing, False, locked)
    Entry.objects.bulk_create(Entry(movement=movement, account_id=account.pk, amount=value) for account, value in legs)
    for account, value in legs:
        current = locked[account.pk]
        current.balance += value
        current.save(update_fields=["balance"])
    return _Posted(movement, True, locked)


def _replay(existing: Movement, key: str, amount: Decimal) -> Movement:
    if existing.amount != amount:
        log.warning("key %s replayed with amount %s; the original moved %s", key, amount, existing.amount)
    return existing


# --- Wallet: credit and charge ------------------------------------------------------------------


def credit_wallet(
    user,
    amount: Decimal,
    *,
    key: str,
    memo: str,
    kind: str = Movement.Kind.TOPUP,
    reference: str = "",
    by=None,
) -> Movement:
    """Money in from the outside world to a client's wallet. Same key again: the existing movement."""
    amount = to_amount(amount)
    _require_role(user, User.Role.CLIENT, "Only client accounts have a wallet.")
    if (existing := movement_for_key(key)) is not None:
        return _replay(existing, key, amount)
    with transaction.atomic():
        wallet = _personal_account(user, Account.Kind.WALLET)
        external = _system_account(Account.Kind.EXTERNAL)
        posted = _post(
            key=key,
            kind=kind,
            amount=amount,
            legs=[(external, -amount), (wallet, amount)],
            memo=memo,
            reference=reference,
            client=user,
            created_by=by,
        )
        if posted.created:
            # Back at or above the threshold: the next dip may trigger auto-reload again.
            new_balance = posted.accounts[wallet.pk].balance
            AutoReload.objects.filter(user_id=user.pk, armed=False, threshold__lte=new_balance).update(armed=True)
    return posted.movement


def charge(client, reader, amount: Decimal, *, key: str, memo: str, reference: str = "") -> Movement:
    """Debit the client's wallet; credit the reader 70 % and the platform 30 % (see :func:`split`).

    Same key again returns the existing movement and moves nothing. A debit that would take the
    wallet below zero raises :class:`InsufficientFunds` and moves nothing. When the debit leaves the
    wallet under the client's auto-reload threshold, one reload is requested (after commit).
    """
    amount = to_amount(amount)
    _require_role(client, User.Role.CLIENT, "Only clients can be charged.")
    _require_role(reader, User.Role.READER, "Payments can only go to a reader.")
    if (existing := movement_for_key(key)) is not None:
        return _replay(existing, key, amount)
    reader_share, platform_share = split(amount)
    with transaction.atomic():
        wallet = _personal_account(client, Account.Kind.WALLET, create=False)
        if wallet is None:
            raise InsufficientFunds(f"Not enough funds: this needs ${amount} and the wallet is empty.")
        earnings = _personal_account(reader, Account.Kind.EARNINGS)
        revenue = _system_account(Account.Kind.REVENUE)
        posted = _post(
            key=key,
            kind=Movement.Kind.CHARGE,
            amount=amount,
            legs=[(wallet, -amount), (earnings, reader_share), (revenue, platform_share)],
            memo=memo,
            reference=reference,
            client=client,
            reader=reader,
        )
        if posted.created:
            request_auto_reload(client)
    return posted.movement


def seed_demo_balance(user, amount: Decimal) -> Movement:
    """Demo money for ``seed_demo``: credits once per user (key ``demo:<user id>``)."""
    return credit_wallet(
        user, amount, key=f"demo:{user.pk}", memo="Demo credit", kind=Movement.Kind.ADJUSTMENT, reference="demo"
    )


# --- Refunds --------------------------------------------------------------------------------------


def refunded_amount(movement: Movement) -> Decimal:
    return cents(movement.refunds.aggregate(total=Sum("amount"))["total"])


def refund(movement: Movement, amount: Decimal | None = None, *, reason: str, by, key: str | None = None) -> Movement:
    """Reverse a charge in full (``amount=None``: whatever is left) or in part, as new ledger entries.

    The client's wallet gets the money back; the reader's earnings and the platform's revenue give
    back their shares pro rata, so after a full refund every leg is exactly reversed. Never more
    than what is left unrefunded. Pass ``key`` (e.g. a form's one-time token) to make a retried
    request harmless.
    """
    reason = (reason or "").strip()
    if not reason:
        raise PaymentError("Give a reason for the refund.")
    if key is not None and (existing := movement_for_key(key)) is not None:
        return existing
    with transaction.atomic():
        # Lock the original first: concurrent refunds of one charge are serialized here.
        original = Movement.objects.select_for_update().get(pk=movement.pk)
        if original.kind != Movement.Kind.CHARGE:
            raise PaymentError("Only charges can be refunded.")
        total = original.amount
        done = refunded_amount(original)
        remaining = total - done
        if remaining <= 0:
            raise PaymentError("This charge has already been refunded in full.")
        amount = remaining if amount is None else to_amount(amount)
        if amount > remaining:
            raise PaymentError(f"At most ${remaining} of this charge can still be refunded.")
        legs = {e.account_id: e for e in original.entries.select_related("account")}
        wallet = next(e.account for e in legs.values() if e.account.kind == Account.Kind.WALLET)
        earnings = next((e for e in legs.values() if e.account.kind == Account.Kind.EARNINGS), None)
        reader_part = ZERO
        if earnings is not None:
            reader_part = _prorate(earnings.amount, done + amount, total) - _prorate(earnings.amount, done, total)
        platform_part = amount - reader_part
        new_legs = [(wallet, amount)]
        if earnings is not None:
            new_legs.append((earnings.account, -reader_part))
        if platform_part:
            new_legs.append((_system_account(Account.Kind.REVENUE), -platform_part))
        posted = _post(
            key=key or f"refund:{original.pk}:{uuid.uuid4().hex}",
            kind=Movement.Kind.REFUND,
            amount=amount,
            legs=new_legs,
            memo=f"Refund: {reason}",
            reference=original.key,
            client=original.client,
            reader=original.reader,
            refund_of=original,
            created_by=by,
        )
    log.info("refund of $%s on %s by %s: %s", amount, original.key, getattr(by, "pk", None), reason)
    return posted.movement


# --- Top-ups ----------------------------------------------------------------------------------------


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


def start_topup(user, amount, *, success_url: str, cancel_url: str) -> tuple[TopUp, str]:
    """Begin adding funds. Returns the pending top-up and the URL to send the browser to.

    With Stripe keys: a hosted Checkout Session (the wallet is credited by the webhook). In the
    sandbox: the sandbox checkout page (``sandbox_url`` is filled in by the caller's URL).
    """
    _require_role(user, User.Role.CLIENT, "Only client accounts have a wallet.")
    amount = topup_amount(amount)
    if settings.PAYMENTS_SANDBOX:
        topup = TopUp.objects.create(user=user, amount=amount, sandbox=True, checkout_id=f"sbx_{uuid.uuid4().hex}")
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
    topup = TopUp.objects.create(user=user, amount=amount, checkout_id=session.id)
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


# --- Auto-reload ------------------------------------------------------------------------------------


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
    auto-reload row, never the wallet; the Stripe call runs after commit. Returns whether an
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
        transaction.on_commit(partial(run_auto_reload, attempt.pk))
    return True


AUTH_REQUIRED_MESSAGE = "Your bank asked to confirm this payment. Add funds from your wallet to confirm your card."


def run_auto_reload(attempt_id: int) -> AutoReloadAttempt:
    """Carry out a scheduled attempt (after commit). Sandbox: credits directly. Stripe: off-session charge."""
    attempt = AutoReloadAttempt.objects.select_related("user").get(pk=attempt_id)
    if attempt.status != AutoReloadAttempt.Status.PENDING or attempt.payment_intent_id:
        return attempt
    if settings.PAYMENTS_SANDBOX:
        with transaction.atomic():
            movement = credit_wallet(
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


# --- Stripe webhooks -------------------------------------------------------------------------------


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
        transaction.on_commit(partial(refresh_card_details, user.pk))
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


# --- Stripe Connect -------------------------------------------------------------------------------------


def _apply_account(account) -> int:
    return ConnectAccount.objects.filter(stripe_account_id=account["id"]).update(
        details_submitted=bool(account.get("details_submitted")),
        charges_enabled=bool(account.get("charges_enabled")),
        payouts_enabled=bool(account.get("payouts_enabled")),
        updated_at=timezone.now(),
    )


def connect_account_for(user) -> ConnectAccount | None:
    return ConnectAccount.objects.filter(user_id=user.pk).first()


def start_connect_onboarding(reader, *, refresh_url: str, return_url: str) -> str:
    """Where to send the reader to onboard: a fresh single-use Stripe AccountLink (sandbox: straight back)."""
    _require_role(reader, User.Role.READER, "Only readers can set up payouts.")
    if settings.PAYMENTS_SANDBOX:
        ConnectAccount.objects.get_or_create(
            user=reader,
            defaults={
                "stripe_account_id": f"acct_sandbox_{reader.pk}",
                "sandbox": True,
                "details_submitted": True,
                "charges_enabled": True,
                "payouts_enabled": True,
            },
        )
        return return_url
    connect = connect_account_for(reader)
    try:
        if connect is None:
            account = gateway.create_express_account(email=reader.email, user_id=reader.pk)
            connect, _ = ConnectAccount.objects.get_or_create(user=reader, defaults={"stripe_account_id": account.id})
        link = gateway.create_account_link(
            account=connect.stripe_account_id, refresh_url=refresh_url, return_url=return_url
        )
    except gateway.StripeError as exc:
        log.exception("connect onboarding for reader %s failed", reader.pk)
        raise PaymentError("Stripe could not start onboarding. Please try again in a minute.") from exc
    return link.url


def refresh_connect_status(reader) -> ConnectAccount | None:
    """Re-read the reader's account from Stripe (when they return from onboarding)."""
    connect = connect_account_for(reader)
    if connect is None or connect.sandbox:
        return connect
    try:
        account = gateway.retrieve_account(connect.stripe_account_id)
    except gateway.StripeError:
        log.exception("could not refresh connect account %s", connect.stripe_account_id)
        return connect
    _apply_account(account)
    connect.refresh_from_db()
    return connect


# --- Payouts --------------------------------------------------------------------------------------------


def pay_out(reader, *, force: bool = False, by=None) -> Payout | None:
    """Pay a reader's unpaid earnings to their connected account.

    Automatic runs (``force=False``) pay only at or above ``PAYMENTS_PAYOUT_THRESHOLD`` and
    return None otherwise; an admin (``force=True``) may pay any positive balance and gets a
    :class:`PaymentError` explaining why not. Only accounts with payouts enabled are paid. The
    ledger movement is written here; the transfer is sent after commit (:func:`send_payout`).
    """

    def refuse(message: str):
        if force:
            raise PaymentError(message)
        return None

    if getattr(reader, "role", None) != User.Role.READER:
        return refuse("Only readers are paid out.")
    with transaction.atomic():
        connect = ConnectAccount.objects.filter(user_id=reader.pk).first()
        if connect is None or not connect.payouts_enabled:
            return refuse("This reader has not finished Stripe onboarding (payouts are not enabled).")
        earnings = _personal_account(reader, Account.Kind.EARNINGS, create=False)
        if earnings is None:
            return refuse("This reader has no earnings to pay out.")
        external = _system_account(Account.Kind.EXTERNAL)
        amount = _lock(earnings, external)[earnings.pk].balance
        minimum = CENT if force else settings.PAYMENTS_PAYOUT_THRESHOLD
        if amount < minimum:
            return refuse(f"There is nothing to pay out (unpaid earnings: ${amount}).")
        payout = Payout.objects.create(
            reader_id=reader.pk, amount=amount, destination=connect.stripe_account_id, requested_by=by
        )
        posted = _post(
            key=f"payout:{payout.pk}",
            kind=Movement.Kind.PAYOUT,
            amount=amount,
            legs=[(earnings, -amount), (external, amount)],
            memo="Payout to your Stripe account",
            reference=connect.stripe_account_id,
            reader=reader,
            created_by=by,
        )
        payout.movement = posted.movement
        payout.save(update_fields=["movement"])
        transaction.on_commit(partial(send_payout, payout.pk))
    return payout


def send_payout(payout_id: int, *, retry: bool = False) -> Payout:
    """Send (or, with ``retry``, re-send a failed) payout's transfer. Runs outside any lock.

    A retry first claims the payout with a conditional UPDATE (failed -> pending) that must hit
    exactly one row, so two workers never send it twice. Each recorded failure moves on to a new
    Stripe idempotency key; an unanswered attempt is re-sent with the same key.
    """
    if retry and not Payout.objects.filter(pk=payout_id, status=Payout.Status.FAILED).update(
        status=Payout.Status.PENDING, last_error=""
    ):
        return Payout.objects.get(pk=payout_id)
    payout = Payout.objects.select_related("reader").get(pk=payout_id)
    if payout.status != Payout.Status.PENDING:
        return payout
    sandbox = ConnectAccount.objects.filter(stripe_account_id=payout.destination, sandbox=True).exists()
    if sandbox:
        transfer_id = f"tr_sandbox_{payout.pk}"
    else:
        try:
            transfer = gateway.create_transfer(
                amount=payout.amount,
                destination=payout.destination,
                transfer_group=payout.transfer_group,
                idempotency_key=f"payout-{payout.pk}-{payout.attempts}",
                metadata={"payout": str(payout.pk), "soulseer_user": str(payout.reader_id)},
            )
        except gateway.StripeError as exc:
            log.warning("payout %s failed: %s", payout.pk, exc)
            message = (getattr(exc, "user_message", None) or str(exc) or "Transfer failed.")[:255]
            Payout.objects.filter(pk=payout.pk, status=Payout.Status.PENDING).update(
                status=Payout.Status.FAILED, attempts=payout.attempts + 1, last_error=message
            )
            payout.refresh_from_db()
            return payout
        transfer_id = transfer.id
    Payout.objects.filter(pk=payout.pk, status=Payout.Status.PENDING).update(
        status=Payout.Status.PAID, stripe_transfer_id=transfer_id, paid_at=timezone.now(), last_error=""
    )
    payout.refresh_from_db()
    return payout


def retry_payouts(*, stuck_after: timedelta = timedelta(minutes=15)) -> list[Payout]:
    """Re-send failed payouts, and pending ones nobody finished (a crashed worker)."""
    failed = Payout.objects.filter(status=Payout.Status.FAILED).values_list("pk", flat=True)
    results = [send_payout(pk, retry=True) for pk in failed]
    stuck = Payout.objects.filter(status=Payout.Status.PENDING, created_at__lt=timezone.now() - stuck_after)
    results += [send_payout(pk) for pk in stuck.values_list("pk", flat=True)]
    return results


def readers_due_payout():
    """Readers whose unpaid earnings reached the threshold and whose payouts are enabled."""
    return User.objects.filter(
        role=User.Role.READER,
        connect_account__payouts_enabled=True,
        ledger_accounts__kind=Account.Kind.EARNINGS,
        ledger_accounts__balance__gte=settings.PAYMENTS_PAYOUT_THRESHOLD,
    ).order_by("pk")


def pay_out_readers() -> list[Payout]:
    """The scheduled run: retry what failed, then pay everyone due."""
    results = retry_payouts()
    for reader in readers_due_payout():
        try:
            payout = pay_out(reader)
        except PaymentError as exc:  # pragma: no cover - pay_out(force=False) returns None instead
            log.warning("payout for %s skipped: %s", reader.pk, exc)
            continue
        if payout is not None:
            payout.refresh_from_db()
            results.append(payout)
    return results


# --- Reading the ledger -----------------------------------------------------------------------------------


def history(user, kind: str) -> object:
    """Entries on one of the user's accounts (wallet or earnings), newest first."""
    return (
        Entry.objects.filter(account__user_id=user.pk, account__kind=kind)
        .select_related("movement")
        .order_by("-created_at", "-pk")
    )


def money_overview() -> dict:
    totals = {row["kind"]: row["total"] for row in Account.objects.values("kind").annotate(total=Sum("balance"))}
    payouts = Payout.objects.aggregate(
        paid_total=Sum("amount", filter=Q(status=Payout.Status.PAID)),
        paid_count=Count("pk", filter=Q(status=Payout.Status.PAID)),
        open_total=Sum("amount", filter=~Q(status=Payout.Status.PAID)),
        open_count=Count("pk", filter=~Q(status=Payout.Status.PAID)),
    )
    return {
        "platform_revenue": cents(totals.get(Account.Kind.REVENUE)),
        "client_balances": cents(totals.get(Account.Kind.WALLET)),
        "reader_earnings_owed": cents(totals.get(Account.Kind.EARNINGS)),
        "payouts_paid_total": cents(payouts["paid_total"]),
        "payouts_paid_count": payouts["paid_count"],
        "payouts_open_total": cents(payouts["open_total"]),
        "payouts_open_count": payouts["open_count"],
    }


def cents(value) -> Decimal:
    # SQLite sums decimals as floats; every amount is whole cents, so rounding to the cent is exact.
    return (value or ZERO).quantize(CENT)


def ledger_discrepancies() -> list[str]:
    """Everything wrong with the books (empty when they are right): see ``manage.py verify_ledger``."""
    problems = []
    per_account = Entry.objects.values("account_id").annotate(total=Sum("amount"))
    sums = {row["account_id"]: cents(row["total"]) for row in per_account}
    for account in Account.objects.select_related("user").order_by("pk"):
        from_entries = sums.get(account.pk, ZERO)
        if account.balance != from_entries:
            problems.append(
                f"account {account.pk} ({account}): cached balance {account.balance} != entries {from_entries}"
            )
        if account.kind == Account.Kind.WALLET and from_entries < 0:
            problems.append(f"account {account.pk} ({account}): wallet is negative ({from_entries})")
    movements = Movement.objects.annotate(total=Sum("entries__amount"), legs=Count("entries"))
    for pk, key, total, legs in movements.values_list("pk", "key", "total", "legs").order_by("pk"):
        if legs < 2 or cents(total) != 0:
            problems.append(f"movement {pk} ({key}): {legs} entries summing to {cents(total)}, not 0")
    grand_total = cents(Entry.objects.aggregate(total=Sum("amount"))["total"])
    if grand_total != 0:
        problems.append(f"the books sum to {grand_total}, not 0")
    return problems


def reconcile_with_stripe(*, since) -> list[str]:
    """Differences between the ledger and Stripe since ``since`` (empty when they agree).

    Stripe is listed from a day earlier than the ledger, so a payment started just before the
    window but credited inside it is not reported as missing.
    """
    problems = []
    stripe_since = int((since - timedelta(days=1)).timestamp())

    paid_sessions = {
        s["id"]: s
        for s in gateway.list_checkout_sessions(created_gte=stripe_since)
        if s.get("payment_status") == "paid" and (s.get("metadata") or {}).get("purpose") == "topup"
    }
    for session_id, session in paid_sessions.items():
        movement = movement_for_key(f"topup:{session_id}")
        amount = gateway.from_cents(session["amount_total"])
        if movement is None:
            if session["created"] >= since.timestamp():
                problems.append(f"Stripe checkout {session_id} was paid (${amount}) but the ledger has no top-up")
        elif movement.amount != amount:
            problems.append(f"checkout {session_id}: Stripe says ${amount}, the ledger credited ${movement.amount}")
    recent = Movement.objects.filter(created_at__gte=since)
    ledger_topups = recent.filter(kind=Movement.Kind.TOPUP, key__startswith="topup:cs_")
    for key, amount in ledger_topups.values_list("key", "amount"):
        if key.removeprefix("topup:") not in paid_sessions:
            problems.append(f"ledger top-up {key} (${amount}) has no paid Stripe checkout")

    reloads = {
        pi["id"]: pi
        for pi in gateway.list_payment_intents(created_gte=stripe_since)
        if pi.get("status") == "succeeded" and (pi.get("metadata") or {}).get("purpose") == "auto_reload"
    }
    for intent_id, intent in reloads.items():
        key = f"autoreload:{(intent.get('metadata') or {}).get('attempt')}"
        if movement_for_key(key) is None and intent["created"] >= since.timestamp():
            amount = gateway.from_cents(intent["amount_received"])
            problems.append(f"Stripe payment {intent_id} (auto-reload, ${amount}) is not in the ledger")
    ledger_reloads = recent.filter(kind=Movement.Kind.AUTO_RELOAD).exclude(reference="")
    for key, reference in ledger_reloads.values_list("key", "reference"):
        if reference not in reloads:
            problems.append(f"ledger auto-reload {key} has no succeeded Stripe payment {reference}")

    transfers = {t["id"]: t for t in gateway.list_transfers(created_gte=stripe_since)}
    paid = Payout.objects.filter(status=Payout.Status.PAID, paid_at__gte=since).exclude(
        stripe_transfer_id__startswith="tr_sandbox_"
    )
    for pk, transfer_id, amount in paid.values_list("pk", "stripe_transfer_id", "amount"):
        transfer = transfers.get(transfer_id)
        if transfer is None:
            problems.append(f"payout {pk} (${amount}) is paid in the ledger but Stripe has no transfer {transfer_id}")
        elif gateway.from_cents(transfer["amount"]) != amount:
            problems.append(f"payout {pk}: ledger ${amount}, Stripe transfer {transfer_id} ${transfer['amount'] / 100}")
    known = set(Payout.objects.filter(status=Payout.Status.PAID).values_list("stripe_transfer_id", flat=True))
    for transfer_id, transfer in transfers.items():
        if transfer_id not in known and transfer["created"] >= since.timestamp():
            amount = gateway.from_cents(transfer["amount"])
            problems.append(f"Stripe transfer {transfer_id} (${amount}) matches no paid payout in the ledger")
    return problems
