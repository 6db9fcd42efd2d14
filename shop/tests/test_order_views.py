"""The buying pages: cart, checkout, orders, downloads, the sellers' queue and the staff refund action."""

from decimal import Decimal

import pytest
from django.urls import reverse

from conftest import PASSWORD
from payments import services as payments
from shop.models import Order, OrderLine, Product
from shop.services import orders
from shop.tests.orders_factories import ADDRESS, key, lines, product, reader
from shop.tests.orders_factories import client as funded_client

pytestmark = pytest.mark.django_db
D = Decimal


def add(http, item, quantity=1):
    return http.post(reverse("shop:cart_add", args=[item.pk]), {"quantity": quantity})


def address_post(prefix="ship", **override) -> dict:
    data = {f"{prefix}-{k}": v for k, v in ADDRESS.items()}
    data.update({f"{prefix}-{k}": v for k, v in override.items()})
    return data


def checkout_key(http) -> str:
    response = http.get(reverse("shop:checkout"))
    return response.context["form"].initial["key"]


def test_visitor_cart_survives_log_in(client):
    item = product(reader(), price="12.00")
    assert b"cart-link" not in client.get(reverse("shop:catalog")).content
    assert add(client, item, 2).status_code == 302
    assert b'aria-label="Cart, 2 items"' in client.get(reverse("shop:catalog")).content
    buyer = funded_client()
    response = client.post(reverse("account_login"), {"login": buyer.email, "password": PASSWORD})
    assert response.status_code == 302
    page = client.get(reverse("shop:cart"))
    assert [(line.product, line.quantity) for line in page.context["lines"]] == [(item, 2)]
    assert page.context["total"] == D("24.00")


def test_bad_cart_input_gets_a_message_and_changes_nothing(client):
    seller = reader()
    item, ebook = product(seller, stock=2), product(seller, kind=Product.Kind.DIGITAL, file="x.pdf")
    for bad in ["-1", "abc", "0", "999"]:
        response = client.post(reverse("shop:cart_add", args=[item.pk]), {"quantity": bad}, follow=True)
        assert response.status_code == 200
    assert add(client, item, 3).status_code == 302  # only 2 in stock
    add(client, ebook)
    response = add(client, ebook)  # a download is bought once
    assert client.session["shop_cart"] == {str(ebook.pk): 1}
    assert response.status_code == 302
    assert client.post(reverse("shop:cart_add", args=[99999]), {"quantity": 1}).status_code == 404


def test_readers_cannot_buy_and_never_their_own_product(client):
    seller = reader()
    client.force_login(seller)
    item = product(seller)
    add(client, item)
    assert "shop_cart" not in client.session or not client.session["shop_cart"]
    assert client.get(reverse("shop:checkout")).status_code == 403


def test_checkout_with_a_bad_address_shows_errors_and_creates_nothing(client):
    buyer = funded_client()
    client.force_login(buyer)
    add(client, product(reader()))
    token = checkout_key(client)
    response = client.post(
        reverse("shop:checkout"), {"key": token, **address_post(ship_postal_code="ABC", ship_country="ZZ")}
    )
    assert response.status_code == 400
    assert response.context["address"].errors.keys() >= {"ship_country"}
    assert Order.objects.count() == 0 and payments.balance(buyer) == D("100.00")


def test_checkout_from_the_wallet_then_the_order_page(client):
    buyer = funded_client()
    client.force_login(buyer)
    item = product(reader(), price="30.00")
    add(client, item, 2)
    response = client.post(reverse("shop:checkout"), {"key": checkout_key(client), **address_post()})
    order = Order.objects.get()
    assert response.status_code == 302 and response.url == order.get_absolute_url()
    assert order.status == Order.Status.PAID and payments.balance(buyer) == D("40.00")
    assert not client.session.get("shop_cart")
    page = client.get(order.get_absolute_url())
    assert page.status_code == 200 and b"$60.00" in page.content
    other = funded_client()
    client.force_login(other)
    assert client.get(order.get_absolute_url()).status_code == 404


def test_a_short_wallet_goes_to_the_top_up_and_comes_back_to_the_paid_order(
    client, settings, django_capture_on_commit_callbacks
):
    settings.PAYMENTS_SANDBOX = True
    buyer = funded_client("10.00")
    client.force_login(buyer)
    add(client, product(reader(), price="30.00"))
    response = client.post(reverse("shop:checkout"), {"key": checkout_key(client), **address_post()})
    order = Order.objects.get()
    assert order.status == Order.Status.AWAITING_PAYMENT
    assert response.url == reverse("payments:sandbox_checkout", args=[order.topup.checkout_id])

    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(response.url)  # the sandbox's "pay" button

    assert done.url == order.get_absolute_url()
    order.refresh_from_db()
    assert order.status == Order.Status.PAID and payments.balance(buyer) == D("0.00")


def test_downloads_through_the_order_page_only_for_the_buyer(client, settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    (tmp_path / "shop").mkdir()
    (tmp_path / "shop" / "book.pdf").write_bytes(b"%PDF-1.4 secret course")
    ebook = product(reader(), kind=Product.Kind.DIGITAL, file="shop/book.pdf", file_name="book.pdf")
    buyer = funded_client()
    order = orders.checkout(buyer, lines((ebook, 1)), key=key())
    client.force_login(buyer)
    page = client.get(order.get_absolute_url())
    url = page.context["lines"][0].download_url
    response = client.get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == b"%PDF-1.4 secret course"
    assert response["Content-Disposition"].startswith("attachment")
    assert "no-store" in response["Cache-Control"]
    client.force_login(funded_client())
    assert client.get(url).status_code == 404  # someone else with the very same link
    client.logout()
    assert client.get(url).status_code == 302  # to log in
    assert client.get(settings.MEDIA_URL + "shop/book.pdf").status_code == 404  # never a public URL


def test_the_seller_ships_from_the_queue_and_bad_input_is_refused(client):
    seller, other = reader(), reader()
    order = orders.checkout(funded_client(), lines((product(seller), 1)), key=key(), address=ADDRESS)
    line = order.lines.get()
    client.force_login(other)
    assert (
        client.post(reverse("shop:ship", args=[line.pk]), {"carrier": "UPS", "tracking_number": "1Z99"}).status_code
        == 404
    )
    client.force_login(seller)
    assert b"1 Market Street" in client.get(reverse("shop:sales")).content
    client.post(reverse("shop:ship", args=[line.pk]), {"carrier": "", "tracking_number": "<script>"})
    assert OrderLine.objects.get(pk=line.pk).status == OrderLine.Status.OPEN
    client.post(reverse("shop:ship", args=[line.pk]), {"carrier": "UPS", "tracking_number": "1Z 999 AA1"})
    assert OrderLine.objects.get(pk=line.pk).status == OrderLine.Status.SHIPPED


def test_staff_refund_a_line_from_the_admin_with_a_reason(client, carol):
    seller = reader()
    buyer = funded_client()
    order = orders.checkout(buyer, lines((product(seller, price="20.00"), 1)), key=key(), address=ADDRESS)
    line = order.lines.get()
    client.force_login(carol)
    url = reverse("admin:shop_orderline_changelist")
    asked = client.post(url, {"action": "refund_lines", "_selected_action": [line.pk]})
    assert asked.status_code == 200 and b"reason" in asked.content
    client.post(url, {"action": "refund_lines", "_selected_action": [line.pk], "apply": "1", "reason": "Lost in post"})
    line.refresh_from_db()
    assert line.status == OrderLine.Status.REFUNDED and line.refund_reason == "Lost in post"
    assert payments.balance(buyer) == D("100.00")
    assert client.get(reverse("admin:shop_order_changelist")).status_code == 200


def test_the_staff_money_page_shows_shop_sales_per_seller_and_refunds(client, carol):
    from shop.services import refunds

    seller = reader("Luna Marie")
    order = orders.checkout(
        funded_client(),
        lines((product(seller, price="20.00"), 2), (product(None, price="5.00"), 1)),
        key=key(),
        address=ADDRESS,
    )
    refunds.refund_line(carol, order.lines.get(seller=None).pk, reason="Broken")
    client.force_login(carol)
    summary = client.get(reverse("payments:money_overview")).context["shop"]
    assert (summary["gross"], summary["refunds"], summary["to_sellers"], summary["to_platform"]) == (
        D("45.00"),
        D("5.00"),
        D("28.00"),
        D("12.00"),
    )
    assert [(row["seller__reader_profile__display_name"], row["sales"]) for row in summary["per_seller"]] == [
        ("Luna Marie", D("40.00"))
    ]


@pytest.mark.parametrize("target", ["//evil.example", "/\\evil.example", "https://evil.example/"])
def test_the_cart_never_sends_anyone_off_the_site(client, target):
    sold_out = product(reader(), stock=0)
    response = client.post(reverse("shop:cart_add", args=[sold_out.pk]), {"quantity": 1, "next": target})
    assert response.status_code == 302 and response.url == sold_out.get_absolute_url()
