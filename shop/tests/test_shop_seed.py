"""seed_demo fills the shop with a believable catalog, once."""

import zipfile
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse

from accounts.images import thumbnail_name
from shop.models import Category, Product, ProductPhoto

pytestmark = pytest.mark.django_db


def test_seed_demo_adds_the_catalog_idempotently(settings, tmp_path, client):
    settings.DEBUG = True
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    call_command("seed_demo", stdout=StringIO())

    products = Product.objects.all()
    assert Category.objects.count() == 5
    assert products.count() >= 12
    assert set(products.values_list("kind", flat=True)) == {"service", "digital", "physical"}
    assert products.filter(seller__isnull=True).count() >= 2
    assert products.filter(seller__isnull=False).values("seller").distinct().count() >= 5
    assert Product.objects.listed().count() == products.count()
    assert not products.filter(approved_at__isnull=True).exists()
    for item in products:
        assert item.photos.exists()
        if item.kind == Product.Kind.PHYSICAL:
            assert item.stock is not None
        if item.kind == Product.Kind.SERVICE:
            assert item.delivery_days >= 1
        if item.kind == Product.Kind.DIGITAL:
            stored = Path(settings.PRIVATE_MEDIA_ROOT) / item.file
            content = stored.read_bytes()
            assert item.file_size == len(content) > 0
            assert item.file_name.rsplit(".", 1)[1] in settings.SHOP_FILE_TYPES
            if item.file_name.endswith(".pdf"):
                assert content.startswith(b"%PDF-") and content.rstrip().endswith(b"%%EOF")
            else:
                assert zipfile.ZipFile(stored).testzip() is None
    photo = ProductPhoto.objects.first()
    assert photo.image.storage.exists(thumbnail_name(photo.image.name, 256))

    counts = (Category.objects.count(), products.count(), ProductPhoto.objects.count())
    call_command("seed_demo", stdout=StringIO())
    assert (Category.objects.count(), Product.objects.count(), ProductPhoto.objects.count()) == counts

    page = client.get(reverse("shop:catalog"))
    assert page.status_code == 200 and "SoulSeer Moon Tarot" in page.content.decode()
    item = Product.objects.get(title="SoulSeer Moon Tarot")
    assert client.get(item.get_absolute_url()).status_code == 200
