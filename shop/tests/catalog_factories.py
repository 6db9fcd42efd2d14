"""Test helpers of the catalog and selling tests: categories, products with photos, uploads."""

from __future__ import annotations

import io
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from accounts.images import make_thumbnails
from accounts.tests.factories import ReaderProfileFactory
from shop.models import Category, Product, ProductPhoto


def category(name: str = "Crystals", slug: str | None = None) -> Category:
    return Category.objects.get_or_create(slug=slug or name.lower().replace(" ", "-"), defaults={"name": name})[0]


def product(
    seller=None,
    *,
    title: str = "Rose quartz heart",
    kind: str = Product.Kind.PHYSICAL,
    price: str = "18.00",
    status: str = Product.Status.PUBLISHED,
    cat: Category | None = None,
    stock: int | None = 10,
    delivery_days: int | None = 2,
    photos: int = 0,
    **extra,
) -> Product:
    made = Product.objects.create(
        seller=seller,
        category=cat or category(),
        kind=kind,
        title=title,
        description=extra.pop("description", f"About {title}."),
        price=Decimal(price),
        stock=stock if kind == Product.Kind.PHYSICAL else None,
        delivery_days=delivery_days if kind == Product.Kind.SERVICE else None,
        status=status,
        **extra,
    )
    for position in range(photos):
        photo = ProductPhoto(product=made, position=position)
        photo.image.save(f"p{made.pk}-{position}.webp", image_upload(fmt="WEBP"), save=True)
        make_thumbnails(photo.image.name, photo.image.storage)
    return made


def reader(name: str = "Reader"):
    return ReaderProfileFactory(display_name=name).user


def image_upload(name: str = "photo.png", fmt: str = "PNG", size=(40, 30)) -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 80, 160)).save(out, format=fmt)
    types = {"PNG": "image/png", "WEBP": "image/webp", "JPEG": "image/jpeg"}
    return SimpleUploadedFile(name, out.getvalue(), content_type=types[fmt])


def pdf_upload(name: str = "guide.pdf", size: int = 200) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"%PDF-1.4\n" + b"x" * size, content_type="application/pdf")
