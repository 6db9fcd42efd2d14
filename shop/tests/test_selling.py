"""Selling: readers create, edit and publish products; staff approve and unpublish (services, views, admin)."""

from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.images import thumbnail_name
from community.models import Notification
from shop.models import Product
from shop.services import selling
from shop.tests.catalog_factories import category, image_upload, pdf_upload, product, reader

pytestmark = pytest.mark.django_db

NEW = reverse("shop:product_new")


@pytest.fixture(autouse=True)
def _private_root(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"


def form_data(**overrides) -> dict:
    data = {
        "title": "Amethyst cluster",
        "category": category().pk,
        "kind": "physical",
        "description": "A sparkling cluster.",
        "price": "34.00",
        "stock": "6",
        "delivery_days": "",
    }
    data.update(overrides)
    return data


def publish(client, item):
    return client.post(reverse("shop:product_publish", kwargs={"pk": item.pk}), follow=True)


# --- who may sell -------------------------------------------------------------------------------------


def test_only_readers_reach_selling_pages(client, alice):
    assert client.get(reverse("shop:selling")).status_code == 302  # to log in
    client.force_login(alice)
    assert client.get(reverse("shop:selling")).status_code == 403
    assert client.post(NEW, form_data()).status_code == 403
    assert not Product.objects.exists()


def test_another_readers_product_is_404(client, bob):
    theirs = product(reader("Other"), status=Product.Status.DRAFT)
    client.force_login(bob)
    for name in ("shop:product_edit", "shop:product_publish", "shop:product_unpublish"):
        url = reverse(name, kwargs={"pk": theirs.pk})
        assert (client.post(url, form_data()) if "edit" not in name else client.get(url)).status_code == 404
    assert client.post(reverse("shop:product_edit", kwargs={"pk": theirs.pk}), form_data()).status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == Product.Status.DRAFT and theirs.title == "Rose quartz heart"


# --- the form ----------------------------------------------------------------------------------------


def test_reader_creates_a_physical_product_with_photos(client, bob):
    client.force_login(bob)
    response = client.post(NEW, {**form_data(), "photos": [image_upload("a.png"), image_upload("b.jpg", "JPEG")]})

    item = Product.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("shop:product_edit", kwargs={"pk": item.pk})
    assert (item.seller, item.status, item.price, item.stock, item.delivery_days) == (
        bob,
        Product.Status.DRAFT,
        Decimal("34.00"),
        6,
        None,
    )
    photos = list(item.photos.all())
    assert len(photos) == 2
    for photo in photos:
        assert photo.image.name.endswith(".webp")  # re-encoded
        assert photo.image.storage.exists(thumbnail_name(photo.image.name, 128))
    listing = client.get(reverse("shop:selling")).content.decode()
    assert "Amethyst cluster" in listing and "Draft" in listing


@pytest.mark.parametrize(
    ("price", "message"),
    [
        ("-5", "at least $1.00"),
        ("0.50", "at least $1.00"),
        ("1001", "at most $1,000.00"),
        ("abc", "Enter a price in dollars"),
        ("", "This field is required"),
    ],
)
def test_bad_prices_are_refused_with_a_clear_message(client, bob, price, message):
    client.force_login(bob)
    response = client.post(NEW, form_data(price=price))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Product.objects.exists()


def test_price_bounds_are_accepted(client, bob):
    client.force_login(bob)
    client.post(NEW, form_data(price="1.00", title="Low"))
    client.post(NEW, form_data(price="1000.00", title="High"))
    assert sorted(Product.objects.values_list("price", flat=True)) == [Decimal("1.00"), Decimal("1000.00")]


def test_kind_specific_fields_are_required_and_cleared(client, bob):
    client.force_login(bob)
    no_stock = client.post(NEW, form_data(stock=""))
    assert "Say how many you have in stock" in no_stock.content.decode()
    no_days = client.post(NEW, form_data(kind="service", stock=""))
    assert "within how many days you deliver" in no_days.content.decode()
    assert not Product.objects.exists()

    client.post(NEW, form_data(kind="service", stock="7", delivery_days="2", title="Reading"))
    service = Product.objects.get()
    assert (service.stock, service.delivery_days) == (None, 2)


def test_digital_file_is_validated_and_stored_privately(client, bob, settings):
    client.force_login(bob)
    settings.SHOP_FILE_MAX_BYTES = 1000
    huge = client.post(NEW, {**form_data(kind="digital", stock=""), "file": pdf_upload(size=5000)})
    assert "the limit is" in huge.content.decode()
    wrong = client.post(NEW, {**form_data(kind="digital", stock=""), "file": SimpleUploadedFile("run.exe", b"MZ" * 10)})
    assert "Upload one of these types" in wrong.content.decode()
    assert not Product.objects.exists()

    client.post(NEW, {**form_data(kind="digital", stock="", title="Course"), "file": pdf_upload("course.pdf")})
    item = Product.objects.get()
    stored = Path(settings.PRIVATE_MEDIA_ROOT) / item.file
    assert stored.exists() and item.file_name == "course.pdf" and item.file_size == 209
    assert not str(stored).startswith(str(settings.MEDIA_ROOT))

    # Replacing the file deletes the old one (once committed).
    edit = reverse("shop:product_edit", kwargs={"pk": item.pk})
    client.post(edit, {**form_data(kind="digital", stock="", title="Course"), "file": pdf_upload("v2.pdf")})
    item.refresh_from_db()
    assert item.file_name == "v2.pdf" and (Path(settings.PRIVATE_MEDIA_ROOT) / item.file).exists()


def test_replaced_file_is_deleted_after_commit(bob, settings, django_capture_on_commit_callbacks):
    item = product(bob, kind=Product.Kind.DIGITAL, status=Product.Status.DRAFT)
    selling.set_file(item, pdf_upload("v1.pdf"))
    old = Path(settings.PRIVATE_MEDIA_ROOT) / item.file
    with django_capture_on_commit_callbacks(execute=True):
        selling.set_file(item, pdf_upload("v2.pdf"))
    assert not old.exists()
    assert (Path(settings.PRIVATE_MEDIA_ROOT) / item.file).exists()


def test_wrong_photo_is_a_form_error(client, bob):
    client.force_login(bob)
    response = client.post(NEW, {**form_data(), "photos": [SimpleUploadedFile("x.png", b"not an image")]})
    assert response.status_code == 200
    assert "Upload a valid image" in response.content.decode() or "not an image" in response.content.decode()
    assert not Product.objects.exists()


def test_photo_limit_and_removal(client, bob, settings, django_capture_on_commit_callbacks):
    settings.SHOP_PHOTOS_PER_PRODUCT = 2
    item = product(bob, status=Product.Status.DRAFT, photos=2)
    client.force_login(bob)
    edit = reverse("shop:product_edit", kwargs={"pk": item.pk})
    too_many = client.post(edit, {**form_data(), "photos": [image_upload()]})
    assert "at most 2 photos" in too_many.content.decode()
    assert item.photos.count() == 2

    first = item.photos.first()
    name, storage = first.image.name, first.image.storage
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(edit, {**form_data(), "remove_photos": [first.pk], "photos": [image_upload()]})
    assert response.status_code == 302
    assert item.photos.count() == 2 and not item.photos.filter(pk=first.pk).exists()
    assert not storage.exists(name) and not storage.exists(thumbnail_name(name, 64))


# --- publishing and the approval rule ------------------------------------------------------------------


def test_first_product_waits_for_staff_then_publishing_is_immediate(client, bob, carol):
    first = product(bob, title="First", status=Product.Status.DRAFT)
    client.force_login(bob)
    response = publish(client, first)
    first.refresh_from_db()
    assert first.status == Product.Status.PENDING
    assert "awaiting approval" in response.content.decode()
    assert client.get(first.get_absolute_url()).status_code == 200  # its seller previews it
    client.logout()
    assert client.get(first.get_absolute_url()).status_code == 404

    selling.approve(first, by=carol)
    first.refresh_from_db()
    assert first.status == Product.Status.PUBLISHED and first.approved_at is not None
    note = Notification.objects.get(user=bob)
    assert note.kind == "order_update" and "approved" in note.text

    second = product(bob, title="Second", status=Product.Status.DRAFT)
    client.force_login(bob)
    publish(client, second)
    second.refresh_from_db()
    assert second.status == Product.Status.PUBLISHED


def test_unpublish_and_republish(client, bob):
    item = product(bob, status=Product.Status.PUBLISHED, approved_at="2026-01-01T00:00:00Z")
    client.force_login(bob)
    client.post(reverse("shop:product_unpublish", kwargs={"pk": item.pk}))
    item.refresh_from_db()
    assert item.status == Product.Status.DRAFT
    publish(client, item)
    item.refresh_from_db()
    assert item.status == Product.Status.PUBLISHED  # already approved: immediate


def test_removed_product_cannot_be_republished_by_its_seller(client, bob, carol):
    item = product(bob, status=Product.Status.PUBLISHED, approved_at="2026-01-01T00:00:00Z")
    selling.remove(item, by=carol, note="Misleading claims")
    assert "unpublished" in Notification.objects.get(user=bob).text
    client.force_login(bob)
    response = publish(client, item)
    item.refresh_from_db()
    assert item.status == Product.Status.REMOVED
    assert "cannot be published again" in response.content.decode()
    client.post(reverse("shop:product_unpublish", kwargs={"pk": item.pk}))
    item.refresh_from_db()
    assert item.status == Product.Status.REMOVED
    with pytest.raises(selling.SellingError):
        selling.publish(item, by=bob)


def test_digital_product_needs_its_file_before_publishing(client, bob):
    item = product(bob, kind=Product.Kind.DIGITAL, status=Product.Status.DRAFT)
    client.force_login(bob)
    response = publish(client, item)
    item.refresh_from_db()
    assert item.status == Product.Status.DRAFT
    assert "Upload the file" in response.content.decode()


def test_approve_only_pending(carol, bob):
    item = product(bob, status=Product.Status.DRAFT)
    with pytest.raises(selling.SellingError):
        selling.approve(item, by=carol)


# --- admin -------------------------------------------------------------------------------------------


def test_admin_actions_approve_and_remove(client, carol, bob):
    pending = product(bob, title="Pending", status=Product.Status.PENDING)
    live = product(reader("Orion"), title="Live", status=Product.Status.PUBLISHED)
    client.force_login(carol)
    changelist = reverse("admin:shop_product_changelist")
    assert client.get(changelist, {"status__exact": "pending"}).status_code == 200
    assert client.get(changelist, {"q": "Bob the Seer", "sold_by": "readers"}).status_code == 200
    client.post(changelist, {"action": "approve_selected", "_selected_action": [pending.pk]})
    asked = client.post(changelist, {"action": "remove_selected", "_selected_action": [live.pk]})
    assert asked.status_code == 200 and b"reason" in asked.content
    live.refresh_from_db()
    assert live.status == Product.Status.PUBLISHED  # nothing happens before staff give the reason
    client.post(
        changelist,
        {"action": "remove_selected", "_selected_action": [live.pk], "apply": "1", "reason": "Counterfeit brand"},
    )
    pending.refresh_from_db()
    live.refresh_from_db()
    assert pending.status == Product.Status.PUBLISHED and pending.approved_at is not None
    assert (live.status, live.status_note) == (Product.Status.REMOVED, "Counterfeit brand")
    assert "Counterfeit brand" in live.seller.notifications.latest("pk").text
    assert client.get(reverse("admin:shop_product_change", args=[pending.pk])).status_code == 200
    assert client.get(reverse("admin:shop_category_add")).status_code == 200


def test_admin_creates_a_platform_product_with_a_photo(client, carol):
    client.force_login(carol)
    cat = category()
    response = client.post(
        reverse("admin:shop_product_add"),
        {
            "seller": "",
            "category": cat.pk,
            "kind": "physical",
            "title": "SoulSeer Moon Tarot",
            "description": "Our deck.",
            "price": "29.00",
            "stock": "40",
            "delivery_days": "",
            "status": "published",
            "status_note": "",
            "photos-TOTAL_FORMS": "1",
            "photos-INITIAL_FORMS": "0",
            "photos-MIN_NUM_FORMS": "0",
            "photos-MAX_NUM_FORMS": "6",
            "photos-0-image": image_upload(),
            "photos-0-position": "0",
            "photos-0-alt": "The deck",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    item = Product.objects.get()
    assert item.seller is None and item.is_listed
    photo = item.photos.get()
    assert photo.image.name.endswith(".webp") and photo.image.storage.exists(thumbnail_name(photo.image.name, 64))


def test_form_pages_render_for_the_seller(client, bob, settings):
    item = product(bob, kind=Product.Kind.DIGITAL, status=Product.Status.DRAFT, photos=2)
    selling.set_file(item, pdf_upload("course.pdf"))
    client.force_login(bob)
    assert client.get(NEW).status_code == 200
    html = client.get(reverse("shop:product_edit", kwargs={"pk": item.pk})).content.decode()
    assert "course.pdf" in html and html.count('name="remove_photos"') == 2
    assert reverse("shop:selling") in client.get(reverse("reader_dashboard")).content.decode()


def test_admin_replacing_a_photo_deletes_the_old_file(client, carol, django_capture_on_commit_callbacks):
    item = product(None, photos=1)
    photo = item.photos.get()
    old = photo.image.name
    client.force_login(carol)
    data = {
        "seller": "",
        "category": item.category_id,
        "kind": item.kind,
        "title": item.title,
        "description": item.description,
        "price": str(item.price),
        "stock": str(item.stock) if item.stock is not None else "",
        "delivery_days": str(item.delivery_days or ""),
        "status": item.status,
        "status_note": "",
        "photos-TOTAL_FORMS": "1",
        "photos-INITIAL_FORMS": "1",
        "photos-MIN_NUM_FORMS": "0",
        "photos-MAX_NUM_FORMS": "6",
        "photos-0-id": str(photo.pk),
        "photos-0-product": str(item.pk),
        "photos-0-image": image_upload(),
        "photos-0-position": "0",
        "photos-0-alt": "New",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:shop_product_change", args=[item.pk]), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    photo.refresh_from_db()
    assert photo.image.name != old and photo.image.storage.exists(photo.image.name)
    assert not photo.image.storage.exists(old)
    assert not photo.image.storage.exists(thumbnail_name(old, 64))
