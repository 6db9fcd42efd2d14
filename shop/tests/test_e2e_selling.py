"""Selling in headless Chromium: a reader's product form shows only the fields of the chosen kind, a new
physical product with a photo is saved as a draft and published, and waits for staff as their first."""

import io
import re

import pytest
from PIL import Image

from readings.tests.e2e_support import login, verified
from shop.models import Category, Product

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (640, 480), (120, 60, 160)).save(out, format="PNG")
    return out.getvalue()


def test_a_reader_lists_a_crystal_with_a_photo_and_it_waits_for_approval(browser, live_server, bob):
    Category.objects.create(name="Crystals", slug="crystals")
    verified(bob)
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.set_default_timeout(30_000)
    try:
        login(page, live_server.url, bob.email)
        page.goto(f"{live_server.url}/shop/selling/new/")
        stock, days, digital = (
            page.locator("[data-for-kind=physical]"),
            page.locator("[data-for-kind=service]"),
            page.locator("[data-for-kind=digital]"),
        )
        page.select_option("select[name=kind]", "service")
        assert days.is_visible() and stock.is_hidden() and digital.is_hidden()
        page.select_option("select[name=kind]", "digital")
        assert digital.is_visible() and stock.is_hidden() and days.is_hidden()
        page.select_option("select[name=kind]", "physical")
        assert stock.is_visible() and days.is_hidden() and digital.is_hidden()

        page.fill("input[name=title]", "Amethyst cluster")
        page.select_option("select[name=category]", label="Crystals")
        page.fill("input[name=price]", "34")
        page.fill("textarea[name=description]", "A deep purple cluster from Uruguay, about 8 cm across.")
        page.fill("input[name=stock]", "4")
        page.set_input_files("input[name=photos]", {"name": "amethyst.png", "mimeType": "image/png", "buffer": png()})
        page.locator("form[enctype] button[type=submit]").click()
        page.wait_for_url(re.compile(r"/shop/selling/\d+/$"))
        assert page.locator("text=is saved as a draft").is_visible()

        page.locator("form[action$='/publish/'] button").click()
        page.locator("#product-status", has_text="Awaiting approval").wait_for()
    finally:
        context.close()

    product = Product.objects.get()
    assert (product.title, product.kind, product.stock, product.status) == (
        "Amethyst cluster",
        "physical",
        4,
        "pending",
    )
    photo = product.photos.get()
    assert photo.image.name.endswith(".webp")  # re-encoded, never the upload as sent
