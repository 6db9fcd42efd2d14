"""The catalog (/shop/) and product pages: what shoppers see, filters, sorting, visibility."""

from decimal import Decimal

import pytest
from django.urls import reverse

from shop.models import Product
from shop.tests.catalog_factories import category, product, reader

pytestmark = pytest.mark.django_db

CATALOG = reverse("shop:catalog")


def titles(response) -> list[str]:
    return [p.title for p in response.context["page"].object_list]


def test_catalog_lists_only_listed_products(client, bob):
    product(bob, title="Amethyst cluster", photos=1)
    product(None, title="SoulSeer Moon Tarot")
    product(bob, title="Draft thing", status=Product.Status.DRAFT)
    product(bob, title="Pending thing", status=Product.Status.PENDING)
    product(bob, title="Removed thing", status=Product.Status.REMOVED)
    gone = reader("Gone Reader")
    product(gone, title="Inactive seller's thing")
    gone.is_active = False
    gone.save()

    response = client.get(CATALOG)

    assert response.status_code == 200
    assert sorted(titles(response)) == ["Amethyst cluster", "SoulSeer Moon Tarot"]
    html = response.content.decode()
    assert "Bob the Seer" in html and "SoulSeer" in html
    assert "srcset=" in html and "-256.webp 256w" in html  # the card's photo has its thumbnails


def test_search_matches_title_and_description(client):
    product(title="Amethyst cluster")
    product(title="Black candle", description="Poured with myrrh on a waning moon.")
    product(title="Tarot deck")

    assert titles(client.get(CATALOG, {"q": "amethyst"})) == ["Amethyst cluster"]
    assert titles(client.get(CATALOG, {"q": "MYRRH"})) == ["Black candle"]
    assert titles(client.get(CATALOG, {"q": "nothing like it"})) == []


def test_filters_kind_category_price_and_seller(client, bob):
    decks = category("Tarot & oracle decks", "decks")
    product(bob, title="Love reading", kind=Product.Kind.SERVICE, price="25.00")
    product(bob, title="Deck", cat=decks, price="29.00")
    product(None, title="Course", kind=Product.Kind.DIGITAL, price="19.00", file="x", file_name="c.pdf")
    product(reader("Orion"), title="Chart", kind=Product.Kind.SERVICE, price="45.00")

    assert titles(client.get(CATALOG, {"kind": "service"})) == ["Chart", "Love reading"]
    assert titles(client.get(CATALOG, {"category": "decks"})) == ["Deck"]
    assert sorted(titles(client.get(CATALOG, {"min_price": "20", "max_price": "30"}))) == ["Deck", "Love reading"]
    assert sorted(titles(client.get(CATALOG, {"seller": "bob-the-seer"}))) == ["Deck", "Love reading"]
    combined = client.get(CATALOG, {"seller": "bob-the-seer", "kind": "service", "max_price": "100"})
    assert titles(combined) == ["Love reading"]


def test_sorting(client):
    cheap = product(title="Cheap", price="5.00", sold_count=1)
    dear = product(title="Dear", price="500.00", sold_count=50)
    mid = product(title="Mid", price="50.00", sold_count=10)
    Product.objects.filter(pk=cheap.pk).update(rating_sum=15, rating_count=3)  # 5.0
    Product.objects.filter(pk=mid.pk).update(rating_sum=16, rating_count=4)  # 4.0
    del dear

    assert titles(client.get(CATALOG, {"sort": "price_low"})) == ["Cheap", "Mid", "Dear"]
    assert titles(client.get(CATALOG, {"sort": "price_high"})) == ["Dear", "Mid", "Cheap"]
    assert titles(client.get(CATALOG, {"sort": "rating"})) == ["Cheap", "Mid", "Dear"]  # unrated last
    assert titles(client.get(CATALOG, {"sort": "popular"})) == ["Dear", "Mid", "Cheap"]
    assert titles(client.get(CATALOG, {"sort": "newest"})) == ["Mid", "Dear", "Cheap"]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"min_price": "-5"}, "greater than or equal to 0"),
        ({"max_price": "abc"}, "Enter a number"),
        ({"min_price": "50", "max_price": "10"}, "at least the minimum price"),
        ({"category": "no-such"}, "There is no such category"),
        ({"seller": "nobody"}, "That seller has nothing in the shop"),
        ({"sort": "sideways"}, "Select a valid choice"),
        ({"kind": "potion"}, "Select a valid choice"),
    ],
)
def test_bad_filters_are_explained_never_a_500(client, params, message):
    product(title="Still shown", price="60.00")
    response = client.get(CATALOG, params)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert titles(response) == ["Still shown"]  # the bad filter is ignored, the rest still works


def test_pagination(client, settings):
    settings.SHOP_PRODUCTS_PER_PAGE = 2
    for n in range(5):
        product(title=f"Item {n}")
    first = client.get(CATALOG)
    last = client.get(CATALOG, {"page": 3})
    beyond = client.get(CATALOG, {"page": "zzz"})
    assert len(titles(first)) == 2 and titles(last) == ["Item 0"]
    assert first.context["page"].paginator.num_pages == 3
    assert beyond.status_code == 200


def test_product_page_shows_gallery_stock_seller_and_reviews(client, bob, alice):
    from shop.models import Order, OrderLine, ProductReview

    item = product(bob, title="Amethyst cluster", stock=3, photos=3)
    order = Order.objects.create(buyer=alice, key="k1", total=Decimal("18.00"))
    for n, (rating, text) in enumerate([(4, "Lovely"), (5, "Beautiful, arrived fast")]):
        line = OrderLine.objects.create(
            order=order,
            product=item,
            seller=bob,
            kind=item.kind,
            title=item.title,
            unit_price=item.price,
            amount=item.price,
            seller_share=Decimal("12.60"),
            platform_share=Decimal("5.40"),
        )
        ProductReview.objects.create(line=line, product=item, author=alice, rating=rating, text=text)
        del n

    response = client.get(item.get_absolute_url())

    html = response.content.decode()
    assert response.status_code == 200
    assert "Only 3 left" in html
    assert html.count('id="photo-') == 3 and "-128.webp" in html
    assert bob.reader_profile.get_absolute_url() in html
    assert html.index("Beautiful, arrived fast") < html.index("Lovely")  # newest first
    assert "$18.00" in html


@pytest.mark.parametrize(("stock", "label"), [(0, "Sold out"), (5, "Only 5 left"), (40, "In stock")])
def test_stock_states(client, stock, label):
    item = product(title="Candle", stock=stock)
    assert label in client.get(item.get_absolute_url()).content.decode()


def test_service_page_shows_delivery_time_and_platform_seller(client):
    item = product(None, title="Birth chart", kind=Product.Kind.SERVICE, delivery_days=3)
    html = client.get(item.get_absolute_url()).content.decode()
    assert "Within 3 days" in html
    assert "SoulSeer" in html


def test_wrong_slug_redirects_to_the_canonical_url(client):
    item = product(title="Rose quartz heart")
    response = client.get(reverse("shop:product", kwargs={"pk": item.pk, "slug": "old-name"}))
    assert response.status_code == 301
    assert response["Location"] == item.get_absolute_url()


def test_unlisted_product_is_404_except_for_its_seller_and_staff(client, bob, alice, carol):
    item = product(bob, title="Pending thing", status=Product.Status.PENDING)
    url = item.get_absolute_url()
    assert client.get(url).status_code == 404
    client.force_login(alice)
    assert client.get(url).status_code == 404
    client.force_login(reader("Other"))
    assert client.get(url).status_code == 404
    client.force_login(bob)
    response = client.get(url)
    assert response.status_code == 200 and "Only you can see this page" in response.content.decode()
    client.force_login(carol)
    assert client.get(url).status_code == 200
    assert client.get(reverse("shop:product", kwargs={"pk": 999999, "slug": "x"})).status_code == 404


def test_reader_profile_shows_their_listed_products(client, bob):
    product(bob, title="Amethyst cluster", photos=1)
    product(bob, title="Hidden draft", status=Product.Status.DRAFT)
    product(None, title="Platform deck")
    html = client.get(bob.reader_profile.get_absolute_url()).content.decode()
    assert "Amethyst cluster" in html
    assert "Hidden draft" not in html and "Platform deck" not in html
    assert f"{CATALOG}?seller=bob-the-seer" in html


def test_navigation_links_to_the_shop(client):
    assert f'href="{CATALOG}"' in client.get(reverse("home")).content.decode()
