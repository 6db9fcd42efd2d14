"""Staff refunds: per line or the whole order, as ledger reversals, restoring stock of physical goods."""

from __future__ import annotations

from django.db import transaction
from django.db.models import F

from accounts.models import User
from payments import services as payments
from shop.models import Order, OrderLine, Product
from shop.services import mail
from shop.services.errors import ShopError


def _require_staff(user: User) -> None:
    if not (user and user.is_active and user.is_staff):
        raise ShopError("Only staff can refund shop orders.")


def refund_line(staff: User, line_id: int, *, reason: str) -> OrderLine:
    """Give one line back: the wallet gets its amount, the seller and the platform return their shares
    (key ``order-refund:<line>``, so a second click changes nothing), physical stock is restored."""
    _require_staff(staff)
    reason = (reason or "").strip()
    if not reason:
        raise ShopError("Give a reason for the refund.")
    with transaction.atomic():
        line = OrderLine.objects.select_for_update(of=("self",)).select_related("order", "seller").get(pk=line_id)
        order = Order.objects.select_for_update().get(pk=line.order_id)
        if line.status == OrderLine.Status.REFUNDED:
            return line
        if order.status != Order.Status.PAID or order.movement_id is None:
            raise ShopError("Only paid orders can be refunded.")
        try:
            movement = payments.refund_purchase_line(
                order.movement,
                payments.PurchaseLine(line.seller, line.seller_share, line.platform_share),
                key=f"order-refund:{line.pk}",
                reason=reason,
                by=staff,
            )
        except payments.PaymentError as exc:
            raise ShopError(str(exc)) from exc
        if line.kind == Product.Kind.PHYSICAL:
            Product.objects.filter(pk=line.product_id).update(
                stock=F("stock") + line.quantity, sold_count=F("sold_count") - line.quantity
            )
        line.status, line.refund, line.refund_reason = OrderLine.Status.REFUNDED, movement, reason[:255]
        line.save(update_fields=["status", "refund", "refund_reason"])
        if not order.lines.exclude(status=OrderLine.Status.REFUNDED).exists():
            order.status = Order.Status.REFUNDED
            order.save(update_fields=["status"])
        line.order = order
        transaction.on_commit(lambda: mail.line_refunded(line))
    return line


def refund_order(staff: User, order_id: int, *, reason: str) -> list[OrderLine]:
    """Refund every line not yet refunded, each as its own reversal (all in one transaction)."""
    _require_staff(staff)
    with transaction.atomic():
        ids = list(
            OrderLine.objects.filter(order_id=order_id)
            .exclude(status=OrderLine.Status.REFUNDED)
            .values_list("pk", flat=True)
        )
        if not ids:
            raise ShopError("Nothing left to refund on this order.")
        return [refund_line(staff, pk, reason=reason) for pk in ids]
