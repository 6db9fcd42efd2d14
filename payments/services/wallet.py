"""Money between people: crediting a wallet, charging a client for a reader, refunds."""

from __future__ import annotations

import logging
import uuid
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum

from accounts.models import User
from payments.models import (
    ZERO,
    Account,
    AutoReload,
    Movement,
)
from payments.services import auto_reload
from payments.services.ledger import (
    InsufficientFunds,
    PaymentError,
    _personal_account,
    _post,
    _prorate,
    _replay,
    _require_role,
    _system_account,
    cents,
    movement_for_key,
    split,
    to_amount,
)

log = logging.getLogger(__name__)


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
    wallet under the client's auto-reload threshold, one reload is queued for the task worker.
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
            auto_reload.request_auto_reload(client)
    return posted.movement


def seed_demo_balance(user, amount: Decimal) -> Movement:
    """Demo money for ``seed_demo``: credits once per user (key ``demo:<user id>``)."""
    return credit_wallet(
        user, amount, key=f"demo:{user.pk}", memo="Demo credit", kind=Movement.Kind.ADJUSTMENT, reference="demo"
    )


def refunded_amount(movement: Movement) -> Decimal:
    return cents(movement.refunds.aggregate(total=Sum("amount"))["total"])


def refund_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise PaymentError("Give a reason for the refund.")
    return reason


def lock_charge(movement: Movement) -> tuple[Movement, Decimal]:
    """The charge to refund, locked (concurrent refunds of one charge serialize here), and what is
    left of it to refund. Must run inside a transaction."""
    original = Movement.objects.select_for_update().get(pk=movement.pk)
    if original.kind != Movement.Kind.CHARGE:
        raise PaymentError("Only charges can be refunded.")
    return original, original.amount - refunded_amount(original)


def post_refund(original: Movement, *, key: str, amount: Decimal, legs: list, reason: str, by, reader) -> Movement:
    """Write the refund movement of ``original`` (its legs reverse what the caller decides)."""
    return _post(
        key=key,
        kind=Movement.Kind.REFUND,
        amount=amount,
        legs=legs,
        memo=f"Refund: {reason}",
        reference=original.key,
        client=original.client,
        reader=reader,
        refund_of=original,
        created_by=by,
    ).movement


def refund(movement: Movement, amount: Decimal | None = None, *, reason: str, by, key: str | None = None) -> Movement:
    """Reverse a charge in full (``amount=None``: whatever is left) or in part, as new ledger entries.

    The client's wallet gets the money back; the reader's earnings and the platform's revenue give
    back their shares pro rata, so after a full refund every leg is exactly reversed. Never more
    than what is left unrefunded. Pass ``key`` (e.g. a form's one-time token) to make a retried
    request harmless.
    """
    reason = refund_reason(reason)
    if key is not None and (existing := movement_for_key(key)) is not None:
        return existing
    with transaction.atomic():
        original, remaining = lock_charge(movement)
        if original.key.startswith("order:"):
            raise PaymentError("Shop orders are refunded per item from the order in the shop's admin (stock, split).")
        total = original.amount
        done = total - remaining
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
        movement = post_refund(
            original,
            key=key or f"refund:{original.pk}:{uuid.uuid4().hex}",
            amount=amount,
            legs=new_legs,
            reason=reason,
            by=by,
            reader=original.reader,
        )
    log.info("refund of $%s on %s by %s: %s", amount, original.key, getattr(by, "pk", None), reason)
    return movement
