"""Placing and paying orders.

An order is paid in one transaction: the products' rows are locked (in primary-key order, the one
order everyone uses), stock is checked and taken, and one ledger movement (``order:<id>``) debits
the wallet and credits each seller 70 % of their lines and the platform the rest. Anything refused
— sold out, not for sale, not enough money — rolls the whole order back: all lines or none, and the
buyer pays nothing.

When the wallet is short, the order waits (``awaiting``, no stock held, no money moved) for a top-up
of the difference; the top-up's webhook credits the wallet and :func:`pay_awaiting` pays the order
then, through the same path (shop.receivers).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import User
from payments import services as payments
from payments.models import TopUp
from payments.services import InsufficientFunds, PaymentError, purchase_line
from shop.models import Order, OrderLine, Product
from shop.services import mail
from shop.services.cart import CartLine, check_buyable, max_quantity
from shop.services.errors import OutOfStock, ShopError

log = logging.getLogger(__name__)


def checkout(buyer: User, cart_lines: list[CartLine], *, key: str, address: dict | None = None) -> Order:
    """Turn the cart into an order; pay it from the wallet at once when the wallet holds enough.

    Same ``key`` again (a resubmitted form) returns the first order and moves nothing. Raises
    ShopError (or InsufficientFunds) with a clear message and leaves nothing behind when refused.
    """
    if (existing := Order.objects.filter(key=key).first()) is not None:
        if existing.buyer_id != buyer.pk:
            raise ShopError("This checkout form is not yours; reload the cart and try again.")
        return existing
    if not cart_lines:
        raise ShopError("Your cart is empty.")
    for line in cart_lines:
        check_buyable(line.product, buyer)
        if line.quantity > max_quantity(line.product):
            raise OutOfStock(f"Only {line.product.stock} of “{line.product.title}” left; change the quantity.")
    needs_shipping = any(line.product.kind == Product.Kind.PHYSICAL for line in cart_lines)
    if needs_shipping and not (address and address.get("ship_line1")):
        raise ShopError("Physical products need a shipping address.")
    total = sum((line.amount for line in cart_lines), Decimal("0.00"))
    try:
        with transaction.atomic():
            order = Order.objects.create(
                buyer=buyer,
                key=key,
                total=total,
                **({f: (address or {}).get(f, "") for f in Order.ADDRESS_FIELDS} if needs_shipping else {}),
            )
            OrderLine.objects.bulk_create(_line(order, line) for line in cart_lines)
            if payments.balance(buyer) >= total:
                _pay(order)
    except IntegrityError:
        if (existing := Order.objects.filter(key=key, buyer=buyer).first()) is not None:
            return existing  # the same form submitted twice at once: the first one won
        raise
    return order


def _line(order: Order, line: CartLine) -> OrderLine:
    product = line.product
    amount = product.price * line.quantity
    shares = purchase_line(product.seller, amount)
    return OrderLine(
        order=order,
        product=product,
        seller=product.seller,
        kind=product.kind,
        title=product.title,
        unit_price=product.price,
        quantity=line.quantity,
        amount=amount,
        seller_share=shares.seller_share,
        platform_share=shares.platform_share,
    )


def _pay(order: Order) -> None:
    """Take stock and money for ``order`` (in the caller's transaction, order row new or locked)."""
    lines = list(order.lines.all())
    ids = sorted({line.product_id for line in lines})
    products = Product.objects.select_for_update(of=("self",)).select_related("seller").filter(pk__in=ids)
    products = {p.pk: p for p in products.order_by("pk")}
    for line in lines:
        product = products[line.product_id]
        if not product.is_listed:
            raise ShopError(f"“{line.title}” is not for sale any more; remove it from your cart.")
        if product.kind == Product.Kind.PHYSICAL and product.stock < line.quantity:
            left = f"only {product.stock} left" if product.stock else "sold out"
            raise OutOfStock(f"Sorry, “{line.title}” is {left}: someone bought it first. Nothing was charged.")
    movement = payments.charge_purchase(
        order.buyer,
        [payments.PurchaseLine(line.seller, line.seller_share, line.platform_share) for line in lines],
        key=f"order:{order.pk}",
        memo=f"Shop order #{order.pk}",
        reference=f"order:{order.pk}",
    )
    now = timezone.now()
    for line in lines:
        product = products[line.product_id]
        taken = {"stock": F("stock") - line.quantity} if product.kind == Product.Kind.PHYSICAL else {}
        Product.objects.filter(pk=product.pk).update(sold_count=F("sold_count") + line.quantity, **taken)
        if line.kind == Product.Kind.DIGITAL:
            line.status = OrderLine.Status.AVAILABLE
        elif line.kind == Product.Kind.SERVICE:
            line.due_at = now + timedelta(days=product.delivery_days or 1)
    OrderLine.objects.bulk_update(lines, ["status", "due_at"])
    order.status, order.movement, order.paid_at = Order.Status.PAID, movement, now
    order.save(update_fields=["status", "movement", "paid_at"])
    transaction.on_commit(lambda: mail.order_paid(order.pk))


def pay_awaiting(order_id: int) -> Order:
    """Pay an order that waited for money. Not enough yet: it keeps waiting. No longer possible
    (sold out, withdrawn): it is cancelled with the reason, and the money stays in the wallet."""
    try:
        with transaction.atomic():
            order = Order.objects.select_for_update().get(pk=order_id)
            if order.status == Order.Status.AWAITING_PAYMENT:
                _pay(order)
            return order
    except InsufficientFunds:
        return Order.objects.get(pk=order_id)
    except ShopError as exc:
        return cancel(Order.objects.get(pk=order_id), reason=str(exc))


def cancel(order: Order, *, reason: str) -> Order:
    """Cancel an order still waiting for payment (nothing was held or paid)."""
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        if order.status != Order.Status.AWAITING_PAYMENT:
            raise ShopError("Only an order still waiting for payment can be cancelled.")
        order.status, order.cancel_reason = Order.Status.CANCELLED, reason[:255]
        order.save(update_fields=["status", "cancel_reason"])
        transaction.on_commit(lambda: mail.order_cancelled(order.pk))
    return order


def shortfall(order: Order) -> Decimal:
    """What the wallet lacks to pay ``order`` now (0 when it holds enough)."""
    return max(Decimal("0.00"), order.total - payments.balance(order.buyer))


def start_topup_for(order: Order, *, success_url: str, cancel_url: str) -> tuple[TopUp, str]:
    """A top-up of the difference (at least the smallest top-up) that comes back to the order once paid."""
    if order.status != Order.Status.AWAITING_PAYMENT:
        raise ShopError("This order is not waiting for payment.")
    missing = shortfall(order)
    if missing <= 0:
        raise ShopError("Your wallet already holds enough: pay from the wallet.")
    amount = max(missing, settings.PAYMENTS_TOPUP_MIN)
    if amount > settings.PAYMENTS_TOPUP_MAX:
        raise ShopError(
            f"This order needs ${missing} more than your wallet holds, over the ${settings.PAYMENTS_TOPUP_MAX} "
            "a single top-up allows: add funds from your wallet page first."
        )
    try:
        topup, url = payments.start_topup(
            order.buyer, amount, success_url=success_url, cancel_url=cancel_url, return_to=order.get_absolute_url()
        )
    except PaymentError as exc:
        raise ShopError(str(exc)) from exc
    Order.objects.filter(pk=order.pk).update(topup=topup)
    return topup, url


def on_topup_paid(topup: TopUp) -> Order | None:
    """The wallet was credited for ``topup``: pay the order it was started for, if it still waits."""
    order_id = Order.objects.filter(topup=topup, status=Order.Status.AWAITING_PAYMENT).values_list("pk", flat=True)
    order_id = order_id.first()
    return pay_awaiting(order_id) if order_id else None
