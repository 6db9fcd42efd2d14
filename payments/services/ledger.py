"""The ledger's primitives: amounts, the 70/30 split, accounts, balances and the one writer of ledger rows."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Sum

from payments.models import (
    ZERO,
    Account,
    Entry,
    Movement,
)

log = logging.getLogger(__name__)


class PaymentError(Exception):
    """A money operation was refused. The message is safe to show to the user."""


class InsufficientFunds(PaymentError):
    """The debit would take a wallet below zero."""


CENT = Decimal("0.01")


READER_SHARE = Decimal("0.70")


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


def _system_account(kind: str) -> Account:
    account, _ = Account.objects.get_or_create(kind=kind, user=None, defaults={"balance": None})
    return account


def system_balance(kind: str) -> Decimal:
    """The platform's revenue (or the outside world's) balance: the sum of its entries, never cached."""
    return cents(Entry.objects.filter(account__kind=kind, account__user__isnull=True).aggregate(t=Sum("amount"))["t"])


def _personal_account(user, kind: str, *, create: bool = True) -> Account | None:
    if create:
        account, _ = Account.objects.get_or_create(kind=kind, user_id=user.pk)
        return account
    return Account.objects.filter(kind=kind, user_id=user.pk).first()


def _require_role(user, role: str, message: str) -> None:
    if user is None or getattr(user, "role", None) != role:
        raise PaymentError(message)


def _lock(*accounts: Account) -> dict[int, Account]:
    """Lock the personal accounts' rows in primary-key order (the one order everyone uses) and return
    them fresh, with the platform's accounts as given: those rows are never locked (no cached balance)."""
    ids = sorted({a.pk for a in accounts if a.kind in Account.PERSONAL})
    locked = {a.pk: a for a in Account.objects.select_for_update().filter(pk__in=ids).order_by("pk")}
    return {**{a.pk: a for a in accounts if a.kind not in Account.PERSONAL}, **locked}


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
        if current.kind in Account.PERSONAL:
            current.balance += value
            current.save(update_fields=["balance"])
    return _Posted(movement, True, locked)


def _replay(existing: Movement, key: str, amount: Decimal) -> Movement:
    if existing.amount != amount:
        log.warning("key %s replayed with amount %s; the original moved %s", key, amount, existing.amount)
    return existing


def cents(value) -> Decimal:
    # SQLite sums decimals as floats; every amount is whole cents, so rounding to the cent is exact.
    return (value or ZERO).quantize(CENT)


def history(user, kind: str) -> object:
    """Entries on one of the user's accounts (wallet or earnings), newest first."""
    return (
        Entry.objects.filter(account__user_id=user.pk, account__kind=kind)
        .select_related("movement")
        .order_by("-created_at", "-pk")
    )
