"""Products, funded clients and cart lines for the order tests."""

from __future__ import annotations

import uuid
from decimal import Decimal
from itertools import count

from accounts.tests.factories import ReaderProfileFactory, UserFactory
from payments import services as payments
from shop.models import Category, Product
from shop.services.cart import CartLine

_n = count(1)

ADDRESS = {
    "ship_name": "Alice Example",
    "ship_line1": "1 Market Street",
    "ship_line2": "",
    "ship_city": "San Francisco",
    "ship_region": "CA",
    "ship_postal_code": "94105",
    "ship_country": "US",
}


def category() -> Category:
    return Category.objects.get_or_create(slug="crystals", defaults={"name": "Crystals"})[0]


def product(
    seller=None, *, kind: str = Product.Kind.PHYSICAL, price: str = "20.00", stock: int = 5, **extra
) -> Product:
    fields = {
        "seller": seller,
        "category": category(),
        "kind": kind,
        "title": extra.pop("title", f"Product {next(_n)}"),
        "description": "Something lovely.",
        "price": Decimal(price),
        "status": Product.Status.PUBLISHED,
        "stock": stock if kind == Product.Kind.PHYSICAL else None,
        "delivery_days": 2 if kind == Product.Kind.SERVICE else None,
    }
    fields.update(extra)
    return Product.objects.create(**fields)


def reader(name: str = "Seller"):
    return ReaderProfileFactory(display_name=name).user


def client(funds: str | None = "100.00"):
    user = UserFactory()
    if funds and Decimal(funds) > 0:
        payments.credit_wallet(user, Decimal(funds), key=f"fund:{user.pk}", memo="Funds")
    return user


def lines(*pairs) -> list[CartLine]:
    """``lines((product, 2), (other, 1))`` -> cart lines read fresh from the database."""
    return [CartLine(Product.objects.select_related("seller").get(pk=p.pk), qty) for p, qty in pairs]


def key() -> str:
    return uuid.uuid4().hex
