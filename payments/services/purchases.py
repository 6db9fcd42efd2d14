"""Shop purchases: one wallet payment split per line between sellers and the platform, and its reversal by line.

A purchase is one movement (key ``order:<id>``): the client's wallet pays the total, each seller's
earnings get 70 % of each of their lines (:func:`ledger.split`, per line so that a line's refund
reverses exactly what that line paid), and the platform the rest; on the platform's own products
the platform keeps all. Refunds are per line, as new ledger rows that reverse that line's legs.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction

from accounts.models import User
from payments.models import ZERO, Account, Movement
from payments.services import auto_reload
from payments.services.ledger import (
    InsufficientFunds,
    PaymentError,
    _personal_account,
    _post,
    _replay,
    _require_role,
    _system_account,
    movement_for_key,
    split,
    to_amount,
)
from payments.services.wallet import lock_charge, post_refund, refund_reason


@dataclass(frozen=True)
class PurchaseLine:
    seller: User | None  # None: the platform's own product
    seller_share: Decimal
    platform_share: Decimal

    @property
    def amount(self) -> Decimal:
        return self.seller_share + self.platform_share


def purchase_line(seller: User | None, amount: Decimal) -> PurchaseLine:
    """The split of one line: 70/30 with a reader, all to the platform on its own products."""
    if seller is None:
        return PurchaseLine(None, ZERO, amount)
    reader_share, platform_share = split(amount)
    return PurchaseLine(seller, reader_share, platform_share)


def charge_purchase(client, lines: list[PurchaseLine], *, key: str, memo: str, reference: str = "") -> Movement:
    """Debit the client's wallet for all ``lines`` at once and credit each seller and the platform.

    One movement, all or nothing: :class:`InsufficientFunds` moves nothing. Same key again returns
    the existing movement.
    """
    if not lines:
        raise PaymentError("Nothing to pay for.")
    total = to_amount(sum((line.amount for line in lines), ZERO))
    _require_role(client, User.Role.CLIENT, "Only clients can buy.")
    for line in lines:
        if line.seller is not None:
            _require_role(line.seller, User.Role.READER, "Only readers sell in the shop.")
    if (existing := movement_for_key(key)) is not None:
        return _replay(existing, key, total)
    with transaction.atomic():
        wallet = _personal_account(client, Account.Kind.WALLET, create=False)
        if wallet is None:
            raise InsufficientFunds(f"Not enough funds: this needs ${total} and the wallet is empty.")
        per_seller: dict[int, Decimal] = defaultdict(lambda: ZERO)
        sellers = {}
        platform = ZERO
        for line in lines:
            platform += line.platform_share
            if line.seller is not None:
                per_seller[line.seller.pk] += line.seller_share
                sellers[line.seller.pk] = line.seller
        legs = [(wallet, -total)]
        legs += [(_personal_account(sellers[pk], Account.Kind.EARNINGS), share) for pk, share in per_seller.items()]
        legs.append((_system_account(Account.Kind.REVENUE), platform))
        posted = _post(
            key=key,
            kind=Movement.Kind.CHARGE,
            amount=total,
            legs=legs,
            memo=memo,
            reference=reference,
            client=client,
            reader=next(iter(sellers.values())) if len(sellers) == 1 else None,
        )
        if posted.created:
            auto_reload.request_auto_reload(client)
    return posted.movement


def refund_purchase_line(movement: Movement, line: PurchaseLine, *, key: str, reason: str, by) -> Movement:
    """Give one line of a purchase back: the wallet gets the line's amount, the seller and the platform
    return exactly their shares of it. Same key again: the existing refund."""
    reason = refund_reason(reason)
    if (existing := movement_for_key(key)) is not None:
        return existing
    with transaction.atomic():
        original, remaining = lock_charge(movement)
        if line.amount > remaining:
            raise PaymentError(f"At most ${remaining} of this purchase can still be refunded.")
        wallet = Account.objects.get(kind=Account.Kind.WALLET, user_id=original.client_id)
        legs = [(wallet, line.amount), (_system_account(Account.Kind.REVENUE), -line.platform_share)]
        if line.seller is not None:
            legs.append((_personal_account(line.seller, Account.Kind.EARNINGS), -line.seller_share))
        return post_refund(original, key=key, amount=line.amount, legs=legs, reason=reason, by=by, reader=line.seller)
