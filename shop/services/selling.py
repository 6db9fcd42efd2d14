"""Selling: readers (and staff, for the platform's own products) create, edit, publish and unpublish products.

The approval rule: a reader's products wait for staff (``pending``) until staff approve one of them
(``approved_at`` set); from then on the reader publishes immediately. Staff can unpublish anything
(``removed``), and a removed product cannot be published again by its seller. Photos are re-encoded
WebPs with thumbnails (``accounts.images``); digital files live in private storage (``shop.files``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from accounts.images import delete_photo, make_thumbnails
from accounts.models import User
from shop.files import delete_private_file, save_private_file
from shop.models import Product, ProductPhoto
from shop.services.errors import ShopError

EDITABLE_FIELDS = ("title", "category", "kind", "description", "price", "stock", "delivery_days")


class SellingError(ShopError):
    """A selling operation was refused; the message is safe to show to the seller."""


def seller_is_trusted(seller: User) -> bool:
    """Whether staff have approved one of this reader's products (and not removed it since)."""
    return (
        Product.objects.filter(seller=seller, approved_at__isnull=False).exclude(status=Product.Status.REMOVED).exists()
    )


def _apply(product: Product, data: Mapping[str, Any]) -> None:
    for name in EDITABLE_FIELDS:
        if name in data:
            setattr(product, name, data[name])
    # The model's constraints: stock only for physical goods, delivery days only for services.
    if product.kind != Product.Kind.PHYSICAL:
        product.stock = None
    if product.kind != Product.Kind.SERVICE:
        product.delivery_days = None


@transaction.atomic
def create_product(
    seller: User | None,
    data: Mapping[str, Any],
    *,
    file=None,
    photos: Iterable[ContentFile] = (),
) -> Product:
    """A new draft product of ``seller`` (None: the platform's own), with its file and photos."""
    product = Product(seller=seller, status=Product.Status.DRAFT)
    _apply(product, data)
    product.full_clean(exclude=["file", "file_name", "file_size"])
    product.save()
    if file is not None:
        set_file(product, file)
    add_photos(product, photos)
    return product


@transaction.atomic
def update_product(
    product: Product,
    data: Mapping[str, Any],
    *,
    file=None,
    photos: Iterable[ContentFile] = (),
    remove_photo_ids: Iterable[int] = (),
) -> Product:
    """Save the seller's edits. A published product stays published; a digital one keeps needing its file."""
    product = Product.objects.select_for_update().get(pk=product.pk)
    _apply(product, data)
    product.full_clean(exclude=["file", "file_name", "file_size"])
    product.save()
    remove_photos(product, remove_photo_ids)
    if file is not None:
        set_file(product, file)
    add_photos(product, photos)
    if product.kind == Product.Kind.DIGITAL and not product.file and product.status != Product.Status.DRAFT:
        raise SellingError("A digital product needs its file: upload it before it can be for sale.")
    return product


def set_file(product: Product, upload) -> Product:
    """Store the digital file privately; the file it replaces is deleted once the change is committed."""
    old = product.file
    name, original, size = save_private_file(upload, "products")
    product.file, product.file_name, product.file_size = name, original, size
    product.save(update_fields=["file", "file_name", "file_size", "updated_at"])
    if old and old != name:
        transaction.on_commit(lambda: delete_private_file(old))
    return product


def add_photos(product: Product, photos: Iterable[ContentFile], alt: str = "") -> list[ProductPhoto]:
    """Add re-encoded photos (``accounts.images.reencode_photo``) with their thumbnails, within the limit."""
    photos = list(photos)
    if not photos:
        return []
    limit = settings.SHOP_PHOTOS_PER_PRODUCT
    existing = product.photos.count()
    if existing + len(photos) > limit:
        raise ValidationError(f"A product can have at most {limit} photos; remove some first.")
    position = (product.photos.aggregate(top=Max("position"))["top"] or 0) + 1 if existing else 0
    made = []
    for offset, content in enumerate(photos):
        photo = ProductPhoto(product=product, position=position + offset, alt=alt or product.title[:120])
        photo.image.save(content.name, content, save=True)
        name, storage = photo.image.name, photo.image.storage
        make_thumbnails(name, storage)
        made.append(photo)
    return made


def remove_photos(product: Product, photo_ids: Iterable[int]) -> int:
    """Delete some of the product's photos (others' ids are ignored); files go once committed."""
    ids = list(photo_ids)
    if not ids:
        return 0
    doomed = list(product.photos.filter(pk__in=ids))
    for photo in doomed:
        name, storage = photo.image.name, photo.image.storage
        photo.delete()
        transaction.on_commit(lambda name=name, storage=storage: delete_photo(name, storage))
    return len(doomed)


@transaction.atomic
def publish(product: Product, *, by: User) -> Product:
    """Put a product on sale: immediately for the platform and trusted readers, else awaiting staff."""
    product = Product.objects.select_for_update().get(pk=product.pk)
    if product.status == Product.Status.REMOVED and not by.is_staff:
        raise SellingError(
            "Staff unpublished this product"
            + (f" ({product.status_note})" if product.status_note else "")
            + "; it cannot be published again. Contact support if you think this is a mistake."
        )
    if product.kind == Product.Kind.DIGITAL and not product.file:
        raise SellingError("Upload the file buyers will download before publishing this digital product.")
    if product.status in (Product.Status.PUBLISHED, Product.Status.PENDING):
        return product
    if product.seller_id is None or by.is_staff or seller_is_trusted(product.seller):
        product.status = Product.Status.PUBLISHED
    else:
        product.status = Product.Status.PENDING
    product.status_note = ""
    product.save(update_fields=["status", "status_note", "updated_at"])
    return product


@transaction.atomic
def unpublish(product: Product, *, by: User) -> Product:
    """The seller takes a product off sale (back to draft). A product removed by staff stays removed."""
    product = Product.objects.select_for_update().get(pk=product.pk)
    if product.status in (Product.Status.PUBLISHED, Product.Status.PENDING):
        product.status = Product.Status.DRAFT
        product.save(update_fields=["status", "updated_at"])
    return product


def _notify(product: Product, text: str) -> None:
    if product.seller_id is None:
        return
    from community.services.notifications import notify

    url = product.get_absolute_url() if product.is_listed else ""
    if not url:
        from django.urls import reverse

        url = reverse("shop:product_edit", kwargs={"pk": product.pk})
    notify(product.seller, "order_update", text, url)


@transaction.atomic
def approve(product: Product, *, by: User) -> Product:
    """Staff approve a pending product: it is published and its seller publishes directly from now on."""
    product = Product.objects.select_for_update().get(pk=product.pk)
    if product.status != Product.Status.PENDING:
        raise SellingError(f"“{product.title}” is not awaiting approval.")
    product.status = Product.Status.PUBLISHED
    product.approved_at = timezone.now()
    product.status_note = ""
    product.save(update_fields=["status", "approved_at", "status_note", "updated_at"])
    _notify(product, f"Your product “{product.title}” was approved and is now in the shop.")
    return product


@transaction.atomic
def remove(product: Product, *, by: User, note: str = "") -> Product:
    """Staff unpublish a product (moderation); its seller cannot publish it again."""
    product = Product.objects.select_for_update().get(pk=product.pk)
    if product.status == Product.Status.REMOVED:
        return product
    product.status = Product.Status.REMOVED
    product.status_note = note[:255]
    product.save(update_fields=["status", "status_note", "updated_at"])
    reason = f" Reason: {note}" if note else ""
    _notify(product, f"Staff unpublished your product “{product.title}”.{reason}")
    return product
