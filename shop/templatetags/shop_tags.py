"""Template helpers of the shop: photo srcsets, stock states, the cover photo of a card."""

from __future__ import annotations

from django import template

from accounts.images import MAX_SIDE, thumbnail_name, thumbnail_sizes
from shop.models import Product, ProductPhoto
from shop.services.catalog import stock_state

register = template.Library()


@register.filter
def photo_srcset(photo: ProductPhoto) -> str:
    """``srcset`` of a product photo: its 64/128/256 px WebP thumbnails and the photo itself (<= 800 px)."""
    if not photo or not photo.image:
        return ""
    storage = photo.image.storage
    thumbs = [f"{storage.url(thumbnail_name(photo.image.name, s))} {s}w" for s in thumbnail_sizes()]
    return ", ".join([*thumbs, f"{photo.image.url} {MAX_SIDE}w"])


@register.filter
def photo_thumb(photo: ProductPhoto, size: int = 128) -> str:
    """URL of one thumbnail of a product photo (e.g. the gallery's small buttons)."""
    if not photo or not photo.image:
        return ""
    return photo.image.storage.url(thumbnail_name(photo.image.name, int(size)))


@register.filter
def cover_photo(product: Product) -> ProductPhoto | None:
    """The first photo: from the catalog's prefetch (``cover_photos``) when there, else from ``photos``."""
    photos = getattr(product, "cover_photos", None)
    if photos is None:
        photos = list(product.photos.all()[:1])
    return photos[0] if photos else None


@register.filter
def stock_label(product: Product) -> str:
    return stock_state(product)[1]


@register.filter
def stock_code(product: Product) -> str:
    return stock_state(product)[0]


@register.filter
def seller_name(product: Product) -> str:
    """The reader's display name, or "SoulSeer" for the platform's own products."""
    if product.seller_id is None:
        return "SoulSeer"
    profile = getattr(product.seller, "reader_profile", None)
    return profile.display_name if profile else product.seller.public_name
