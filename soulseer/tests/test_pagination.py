"""One pagination include serves the reader directory (htmx, into #reader-results) and the shop catalog."""

import pytest
from django.urls import reverse

from accounts.tests.factories import ReaderProfileFactory
from shop.tests.orders_factories import product

pytestmark = pytest.mark.django_db


def pagination(html: str) -> str:
    return html.split('aria-label="Pagination"', 1)[1].split("</nav>", 1)[0].replace("&amp;", "&")


def test_the_catalog_pages_keep_the_filters(client, settings):
    settings.SHOP_PRODUCTS_PER_PAGE = 2
    for _ in range(5):
        product(None, kind="digital", file="x.pdf")
    nav = pagination(client.get(reverse("shop:catalog"), {"kind": "digital"}).content.decode())
    assert 'rel="next"' in nav and 'href="?kind=digital&page=2"' in nav and 'href="?kind=digital&page=3"' in nav
    assert "hx-get" not in nav


def test_the_directory_pages_load_in_place(client):
    for _ in range(30):
        ReaderProfileFactory()
    nav = pagination(client.get(reverse("reader_directory")).content.decode())
    assert 'href="?page=2"' in nav and 'hx-get="?page=2" hx-target="#reader-results" hx-push-url="true"' in nav
    assert 'aria-current="page"' in nav
