"""The shop end to end in headless Chromium, on a phone-sized screen: a new client signs up, tops up in
the sandbox, puts a physical and a digital product in the cart, checks out from the wallet and downloads
the file from the order page; the seller marks the physical item shipped and the buyer sees it. The
ledger moved exactly the order total, 70/30 per line, and verify_ledger passes."""

import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command

from payments import services as payments
from payments.models import Account, Movement
from readings.tests.e2e_support import login, sign_up, verified
from shop.models import Order, OrderLine, Product
from shop.tests.orders_factories import product

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TIMEOUT = 30_000
COURSE = b"%PDF-1.4\n% Moon rituals: a seven-day course\n"


@pytest.fixture
def catalog(bob, settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    (tmp_path / "private" / "shop" / "files").mkdir(parents=True)
    (tmp_path / "private" / "shop" / "files" / "moon-rituals.pdf").write_bytes(COURSE)
    deck = product(bob, price="24.00", stock=3, title="Moonlit Tarot Deck")
    course = product(
        bob,
        kind=Product.Kind.DIGITAL,
        price="15.00",
        title="Moon Rituals Course",
        file="shop/files/moon-rituals.pdf",
        file_name="moon-rituals.pdf",
    )
    return deck, course


def new_page(browser, width: int = 390):
    context = browser.new_context(viewport={"width": width, "height": 844}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT)
    return context, page


def test_a_new_client_buys_a_deck_and_a_course_and_the_seller_ships(browser, live_server, catalog, bob):
    deck, course = catalog
    base = live_server.url
    verified(bob)
    buyer_ctx, buyer = new_page(browser)
    seller_ctx, seller = new_page(browser, width=1280)
    try:
        sign_up(buyer, base, "nova@example.com", "a-long-unusual-passphrase")

        # Top up $100 in the sandbox.
        buyer.goto(f"{base}/wallet/")
        buyer.fill("input[name=amount]", "100")
        buyer.locator("form[aria-label='Add a custom amount'] button[type=submit]").click()
        buyer.wait_for_url(re.compile(r"/sandbox"))
        buyer.click("text=Confirm sandbox payment of $100")
        buyer.wait_for_url(re.compile(r"/wallet/"))
        assert buyer.inner_text("[data-testid=balance]") == "$100.00"

        # Two decks and the course into the cart, from the catalog.
        buyer.goto(f"{base}/shop/")
        buyer.click("text=Moonlit Tarot Deck")
        buyer.wait_for_url(re.compile(rf"/shop/p/{deck.pk}-"))
        buyer.fill("[data-testid=add-to-cart] input[name=quantity]", "2")
        buyer.click("[data-testid=add-to-cart] button[type=submit]")
        buyer.wait_for_url(re.compile(r"/shop/cart/"))
        buyer.goto(f"{base}/shop/")
        buyer.click("text=Moon Rituals Course")
        buyer.click("[data-testid=add-to-cart] button[type=submit]")
        buyer.wait_for_url(re.compile(r"/shop/cart/"))
        assert buyer.locator("[data-testid=cart-line]").count() == 2
        assert buyer.inner_text("[data-testid=cart-total]") == "$63.00"

        # Checkout from the wallet, with a shipping address for the deck.
        buyer.click("text=Checkout")
        buyer.wait_for_url(re.compile(r"/shop/checkout/"))
        buyer.fill("input[name=ship-ship_name]", "Nova Star")
        buyer.fill("input[name=ship-ship_line1]", "12 Orchard Lane")
        buyer.fill("input[name=ship-ship_city]", "Portland")
        buyer.fill("input[name=ship-ship_region]", "OR")
        buyer.fill("input[name=ship-ship_postal_code]", "97201")
        buyer.select_option("select[name=ship-ship_country]", "US")
        buyer.click("[data-testid=place-order]")
        buyer.wait_for_url(re.compile(r"/shop/orders/\d+/$"))
        order_url = buyer.url
        assert buyer.inner_text("[data-testid=order-status]") == "Paid"

        # The course downloads from the order page.
        with buyer.expect_download() as download:
            buyer.click("[data-testid=download]")
        assert download.value.suggested_filename == "moon-rituals.pdf"
        assert Path(download.value.path()).read_bytes() == COURSE

        # The seller ships the decks from their queue.
        login(seller, base, bob.email)
        seller.goto(f"{base}/shop/selling/orders/")
        sale = seller.locator("[data-testid=sale][data-kind=physical]")
        assert "12 Orchard Lane" in sale.inner_text()
        sale.locator("input[name=carrier]").fill("USPS")
        sale.locator("input[name=tracking_number]").fill("9400 1112 0203")
        sale.locator("button[type=submit]").click()
        seller.locator("text=Marked as shipped").wait_for()

        # The buyer sees it shipped, with the tracking number.
        buyer.goto(order_url)
        deck_line = buyer.locator("[data-testid=order-line][data-kind=physical]")
        assert deck_line.locator("[data-testid=line-status]").inner_text() == "Shipped"
        assert "9400 1112 0203" in deck_line.locator("[data-testid=tracking]").inner_text()
    finally:
        buyer_ctx.close()
        seller_ctx.close()

    order = Order.objects.get()
    assert order.total == Decimal("63.00") and order.buyer.email == "nova@example.com"
    assert OrderLine.objects.get(order=order, kind="physical").status == OrderLine.Status.SHIPPED
    movement = Movement.objects.get(key=f"order:{order.pk}")
    assert movement.amount == Decimal("63.00")
    assert payments.balance(order.buyer) == Decimal("37.00")
    assert payments.earnings_balance(bob) == Decimal("44.10")  # 70 % of $48 + 70 % of $15
    assert payments.system_balance(Account.Kind.REVENUE) == Decimal("18.90")
    assert Product.objects.get(pk=deck.pk).stock == 1
    call_command("verify_ledger")
