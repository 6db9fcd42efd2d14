"""The catalog pages keep a constant number of SQL queries however many products, photos or reviews."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from shop.models import Order, OrderLine, ProductReview
from shop.tests.catalog_factories import category, product, reader

pytestmark = pytest.mark.django_db


def queries(client, url, params=None) -> int:
    client.get(url, params)  # warm anything cached per process (content types, sessions...)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params)
    assert response.status_code == 200
    return len(captured.captured_queries)


def add_products(count: int, start: int = 0) -> None:
    """Products across several sellers (and the platform) and categories, each with two photos."""
    cats = [category(f"Category {n}", f"cat-{n}") for n in range(3)]
    sellers = [reader(f"Seller {start}-{n}") for n in range(3)] + [None]
    for n in range(start, start + count):
        product(sellers[n % 4], title=f"Product {n}", cat=cats[n % 3], photos=2, sold_count=n, rating_sum=n % 5)


def add_reviews(item, buyer, count: int) -> None:
    order = Order.objects.create(buyer=buyer, key=f"k-{item.pk}-{count}", total=item.price)
    for n in range(count):
        line = OrderLine.objects.create(
            order=order,
            product=item,
            seller=item.seller,
            kind=item.kind,
            title=item.title,
            unit_price=item.price,
            amount=item.price,
            seller_share=Decimal("12.60"),
            platform_share=item.price - Decimal("12.60"),
        )
        ProductReview.objects.create(line=line, product=item, author=buyer, rating=1 + n % 5, text=f"Review {n}")


@pytest.mark.parametrize(
    "params",
    [{}, {"sort": "rating"}, {"sort": "price_low", "kind": "physical", "q": "Product"}, {"min_price": "1"}],
)
def test_catalog_queries_do_not_grow_with_products(client, alice, params):
    client.force_login(alice)
    add_products(3)
    few = queries(client, reverse("shop:catalog"), params)
    add_products(27, start=3)
    many = queries(client, reverse("shop:catalog"), params)
    assert few == many, f"{few} queries for 3 products, {many} for 30"
    assert many <= 12


def test_catalog_queries_anonymous(client):
    add_products(3)
    few = queries(client, reverse("shop:catalog"))
    add_products(27, start=3)
    assert queries(client, reverse("shop:catalog")) == few


def test_product_page_queries_do_not_grow_with_photos_or_reviews(client, alice, bob):
    item = product(bob, title="Amethyst", photos=1)
    add_reviews(item, alice, 1)
    client.force_login(alice)
    few = queries(client, item.get_absolute_url())
    for _ in range(4):
        product_photo = product(bob, title="spare", photos=1).photos.get()
        product_photo.product = item
        product_photo.save()
    add_reviews(item, reader("Buyer who reads"), 10)
    many = queries(client, item.get_absolute_url())
    assert item.photos.count() == 5 and item.reviews.count() == 11
    assert few == many, f"{few} queries for 1 photo and review, {many} for 5 photos and 11 reviews"


def test_reader_profile_queries_do_not_grow_with_their_products(client, bob):
    product(bob, title="One", photos=1)
    few = queries(client, bob.reader_profile.get_absolute_url())
    for n in range(6):
        product(bob, title=f"More {n}", photos=2, cat=category(f"C{n}", f"c{n}"))
    many = queries(client, bob.reader_profile.get_absolute_url())
    assert few == many


def test_my_shop_queries_do_not_grow_with_products(client, bob):
    client.force_login(bob)
    product(bob, title="One", photos=1)
    few = queries(client, reverse("shop:selling"))
    for n in range(8):
        product(bob, title=f"More {n}", photos=2)
    assert queries(client, reverse("shop:selling")) == few
