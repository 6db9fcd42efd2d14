"""After the sale: the sellers' queue, shipping, service deliveries, downloads and buyers' reviews."""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from accounts.models import User
from shop import files
from shop.models import Order, OrderLine, Product, ProductReview
from shop.services import mail
from shop.services.errors import ShopError

DOWNLOAD_SALT = "shop.download"


class NotFound(ShopError):
    """Not this person's to see: the view answers 404, as for something that does not exist."""


def seller_queue(seller: User) -> QuerySet[OrderLine]:
    """The seller's paid lines still to ship or deliver, the most urgent first."""
    return (
        OrderLine.objects.filter(seller=seller, order__status=Order.Status.PAID, status=OrderLine.Status.OPEN)
        .select_related("order__buyer")
        .order_by(F("due_at").asc(nulls_last=True), "pk")
    )


def seller_history(seller: User) -> QuerySet[OrderLine]:
    return (
        OrderLine.objects.filter(seller=seller, order__status__in=[Order.Status.PAID, Order.Status.REFUNDED])
        .exclude(status=OrderLine.Status.OPEN)
        .select_related("order__buyer")
        .order_by("-order__paid_at", "-pk")
    )


def _sellers_line(seller: User, line_id: int, kind: str) -> OrderLine:
    line = (
        OrderLine.objects.select_for_update(of=("self",))
        .select_related("order__buyer")
        .filter(pk=line_id, seller=seller, order__status=Order.Status.PAID)
        .first()
    )
    if line is None:
        raise NotFound("No such sale.")
    if line.kind != kind:
        raise ShopError("This is not that kind of product.")
    return line


def mark_shipped(seller: User, line_id: int, *, carrier: str, tracking_number: str) -> OrderLine:
    with transaction.atomic():
        line = _sellers_line(seller, line_id, Product.Kind.PHYSICAL)
        if line.status != OrderLine.Status.OPEN:
            raise ShopError(f"This item is already {line.get_status_display().lower()}.")
        line.status, line.shipped_at = OrderLine.Status.SHIPPED, timezone.now()
        line.carrier, line.tracking_number = carrier.strip()[:60], tracking_number.strip()[:60]
        line.save(update_fields=["status", "shipped_at", "carrier", "tracking_number"])
        transaction.on_commit(lambda: mail.line_shipped(line))
    return line


def deliver_service(seller: User, line_id: int, *, message: str, upload=None) -> OrderLine:
    """The seller delivers a service: a message and, optionally, a file only the buyer can download."""
    message = (message or "").strip()
    if not message:
        raise ShopError("Write the delivery message.")
    stored = files.save_private_file(upload, "deliveries") if upload is not None else None
    try:
        with transaction.atomic():
            line = _sellers_line(seller, line_id, Product.Kind.SERVICE)
            if line.status != OrderLine.Status.OPEN:
                raise ShopError(f"This order is already {line.get_status_display().lower()}.")
            line.status, line.delivered_at, line.delivery_message = OrderLine.Status.DELIVERED, timezone.now(), message
            if stored:
                line.delivery_file, line.delivery_file_name = stored[0], stored[1]
            line.save(
                update_fields=["status", "delivered_at", "delivery_message", "delivery_file", "delivery_file_name"]
            )
            transaction.on_commit(lambda: mail.line_delivered(line))
    except Exception:
        if stored:
            files.delete_private_file(stored[0])
        raise
    return line


def overdue_services(now=None) -> QuerySet[OrderLine]:
    """Paid services not delivered by the promised time: staff may refund them in one click."""
    return OrderLine.objects.filter(
        kind=Product.Kind.SERVICE,
        status=OrderLine.Status.OPEN,
        order__status=Order.Status.PAID,
        due_at__lt=now or timezone.now(),
    )


# --- downloads --------------------------------------------------------------------------------------


def downloadable(line: OrderLine) -> tuple[str, str] | None:
    """(private file name, download name) the buyer of ``line`` may fetch, or None."""
    if line.order.status != Order.Status.PAID or line.status == OrderLine.Status.REFUNDED:
        return None
    if line.kind == Product.Kind.DIGITAL and line.product.file:
        return line.product.file, line.product.file_name or "download"
    if line.kind == Product.Kind.SERVICE and line.delivery_file:
        return line.delivery_file, line.delivery_file_name or "delivery"
    return None


def download_token(line: OrderLine) -> str:
    """A signed token for one line and its buyer; valid SHOP_DOWNLOAD_LINK_SECONDS."""
    return signing.TimestampSigner(salt=DOWNLOAD_SALT).sign(f"{line.pk}.{line.order.buyer_id}")


def downloads_left(line: OrderLine) -> int:
    return max(0, settings.SHOP_DOWNLOAD_LIMIT - line.downloads)


def claim_download(user: User, line_id: int, token: str) -> tuple[str, str]:
    """Check the link and count one download; returns what to send. Someone else's line: NotFound."""
    line = OrderLine.objects.select_related("order", "product").filter(pk=line_id, order__buyer_id=user.pk).first()
    if line is None:
        raise NotFound("No such download.")
    target = downloadable(line)
    if target is None:
        raise NotFound("No such download.")
    try:
        signed = signing.TimestampSigner(salt=DOWNLOAD_SALT).unsign(token, max_age=settings.SHOP_DOWNLOAD_LINK_SECONDS)
    except signing.SignatureExpired:
        raise ShopError("This download link has expired: open your order page for a new one.") from None
    except signing.BadSignature:
        raise NotFound("No such download.") from None
    if signed != f"{line.pk}.{user.pk}":
        raise NotFound("No such download.")
    counted = OrderLine.objects.filter(pk=line.pk, downloads__lt=settings.SHOP_DOWNLOAD_LIMIT).update(
        downloads=F("downloads") + 1
    )
    if not counted:
        raise ShopError(
            f"You have downloaded this {settings.SHOP_DOWNLOAD_LIMIT} times, the limit: contact us to get it again."
        )
    return target


# --- reviews ----------------------------------------------------------------------------------------


def can_review(line: OrderLine) -> bool:
    received = {
        Product.Kind.DIGITAL: OrderLine.Status.AVAILABLE,
        Product.Kind.SERVICE: OrderLine.Status.DELIVERED,
        Product.Kind.PHYSICAL: OrderLine.Status.SHIPPED,
    }
    return line.order.status == Order.Status.PAID and line.status == received[line.kind]


def review_line(buyer: User, line_id: int, *, rating: int, text: str = "") -> ProductReview:
    """A buyer reviews a line they received: once per line; the product's rating follows."""
    line = OrderLine.objects.select_related("order").filter(pk=line_id, order__buyer_id=buyer.pk).first()
    if line is None:
        raise NotFound("No such purchase.")
    if not can_review(line):
        raise ShopError("You can review this once you have received it.")
    if not 1 <= int(rating) <= 5:
        raise ShopError("Choose from 1 to 5 stars.")
    try:
        with transaction.atomic():
            review = ProductReview.objects.create(
                line=line, product_id=line.product_id, author=buyer, rating=rating, text=(text or "").strip()[:2000]
            )
            Product.objects.filter(pk=line.product_id).update(
                rating_sum=F("rating_sum") + rating, rating_count=F("rating_count") + 1
            )
    except IntegrityError:
        raise ShopError("You have already reviewed this purchase.") from None
    return review
