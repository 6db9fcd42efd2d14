"""The cart: product ids and quantities in the session.

A visitor's cart lives in their session; Django keeps the session's data when they log in (the key
changes, the data stays), so the cart is kept on log-in. Nothing here is trusted at checkout: prices,
stock and whether a product is still for sale are read again from the database then.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings

from shop.models import Product
from shop.services.errors import OutOfStock, ShopError

SESSION_KEY = "shop_cart"
MAX_LINES = 30


@dataclass
class CartLine:
    product: Product
    quantity: int

    @property
    def amount(self) -> Decimal:
        return self.product.price * self.quantity


def _items(session) -> dict[str, int]:
    raw = session.get(SESSION_KEY)
    if not isinstance(raw, dict):
        return {}
    return {k: v for k, v in raw.items() if k.isdigit() and isinstance(v, int) and v > 0}


def _save(session, items: dict[str, int]) -> None:
    session[SESSION_KEY] = items
    session.modified = True


def max_quantity(product: Product) -> int:
    if product.kind != Product.Kind.PHYSICAL:
        return 1  # a service or a download is bought once per order
    return max(0, min(settings.SHOP_CART_MAX_QUANTITY, product.stock or 0))


def check_buyable(product: Product, user) -> None:
    """Raise a clear ShopError when ``user`` cannot buy ``product``."""
    if not product.is_listed:
        raise ShopError(f"“{product.title}” is not for sale any more.")
    if user.is_authenticated and product.seller_id == user.pk:
        raise ShopError("You cannot buy your own product.")
    if user.is_authenticated and not user.is_client:
        raise ShopError("Only client accounts can buy in the shop.")
    if not product.in_stock:
        raise OutOfStock(f"“{product.title}” is sold out.")


def set_quantity(session, product: Product, quantity: int, user, *, add: bool = False) -> int:
    """Put ``quantity`` of ``product`` in the cart (``add``: on top of what is there). Returns the new quantity."""
    items = _items(session)
    key = str(product.pk)
    wanted = items.get(key, 0) + quantity if add else quantity
    if wanted <= 0:
        items.pop(key, None)
        _save(session, items)
        return 0
    check_buyable(product, user)
    limit = max_quantity(product)
    if wanted > limit:
        if product.kind != Product.Kind.PHYSICAL:
            raise ShopError(f"“{product.title}” is bought once per order; it is already in your cart.")
        raise ShopError(f"You can have at most {limit} of “{product.title}” in one order.")
    if key not in items and len(items) >= MAX_LINES:
        raise ShopError(f"A cart holds at most {MAX_LINES} different products.")
    items[key] = wanted
    _save(session, items)
    return wanted


def remove(session, product_id: int) -> None:
    items = _items(session)
    items.pop(str(product_id), None)
    _save(session, items)


def clear(session) -> None:
    session.pop(SESSION_KEY, None)


def count(session) -> int:
    return sum(_items(session).values())


def lines(session) -> list[CartLine]:
    """The cart's products (one query), in the order they were added; vanished products dropped."""
    items = _items(session)
    if not items:
        return []
    products = (
        Product.objects.select_related("seller", "category").prefetch_related("photos").in_bulk([int(k) for k in items])
    )
    return [CartLine(products[int(k)], qty) for k, qty in items.items() if int(k) in products]


def total(cart_lines: list[CartLine]) -> Decimal:
    return sum((line.amount for line in cart_lines), Decimal("0.00"))
