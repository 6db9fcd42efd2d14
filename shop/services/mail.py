"""What the shop tells people: a notification in the centre and an email for every step of an order.

Receipts and shipping news are emailed whether or not the person is on the site (through the task
worker, after the transaction commits); the centre's own "email when away" is off for them so no
one gets the same news twice.
"""

from __future__ import annotations

from community.services.notifications import notify
from shop.models import Order, OrderLine
from shop.tasks import send_shop_email


def _tell(user, text: str, url: str, subject: str, body: str) -> None:
    notify(user, "order_update", text, url, email=False)
    if user.email:
        send_shop_email.enqueue(user.email, subject, body)


def _order(order_id: int) -> Order:
    return Order.objects.select_related("buyer").prefetch_related("lines__seller").get(pk=order_id)


def _items(lines) -> str:
    return "\n".join(f"  {line.quantity} × {line.title}: ${line.amount}" for line in lines)


def order_paid(order_id: int) -> None:
    order = _order(order_id)
    lines = list(order.lines.all())
    url = order.get_absolute_url()
    _tell(
        order.buyer,
        f"Order #{order.pk} is paid: ${order.total} from your wallet.",
        url,
        f"Your SoulSeer order #{order.pk}",
        f"Thank you for your order.\n\n{_items(lines)}\n  Total paid from your wallet: ${order.total}\n",
    )
    sellers = {}
    for line in lines:
        if line.seller_id:
            sellers.setdefault(line.seller_id, (line.seller, []))[1].append(line)
    for seller, sold in sellers.values():
        _tell(
            seller,
            f"New sale: {', '.join(line.title for line in sold)[:200]} (order #{order.pk}).",
            "/shop/selling/orders/",
            f"New sale on SoulSeer: order #{order.pk}",
            f"You sold:\n\n{_items(sold)}\n\nYour share is added to your earnings.\n",
        )


def order_cancelled(order_id: int) -> None:
    order = _order(order_id)
    _tell(
        order.buyer,
        f"Order #{order.pk} was cancelled: {order.cancel_reason}"[:300],
        order.get_absolute_url(),
        f"Your SoulSeer order #{order.pk} was cancelled",
        f"Order #{order.pk} was cancelled: {order.cancel_reason}\nNothing was charged for it.\n",
    )


def _tell_buyer(line: OrderLine, text: str, subject: str, body: str) -> None:
    order = line.order
    _tell(order.buyer, text, order.get_absolute_url(), f"Order #{order.pk}: {subject}", body)


def line_shipped(line: OrderLine) -> None:
    _tell_buyer(
        line,
        f"“{line.title}” has shipped ({line.carrier} {line.tracking_number}).",
        f"“{line.title}” has shipped",
        f"“{line.title}” is on its way.\nCarrier: {line.carrier}\nTracking number: {line.tracking_number}\n",
    )


def line_delivered(line: OrderLine) -> None:
    _tell_buyer(
        line,
        f"“{line.title}” has been delivered: read it on your order page.",
        f"“{line.title}” is ready",
        f"Your seller delivered “{line.title}”. Read the delivery on your order page.\n",
    )


def line_refunded(line: OrderLine) -> None:
    _tell_buyer(
        line,
        f"${line.amount} for “{line.title}” was refunded to your wallet.",
        f"refund of ${line.amount}",
        f"${line.amount} for “{line.title}” was refunded to your SoulSeer wallet.\nReason: {line.refund_reason}\n",
    )
