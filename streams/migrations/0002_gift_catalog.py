"""The design's gift catalog (staff edit it in the admin afterwards): Heart $0.50, Star $1, Crystal $2,
Moon $5, Rose $10. Only adds missing gifts, so an edited catalog is left alone."""

from decimal import Decimal

from django.db import migrations

CATALOG = [
    ("heart", "Heart", "0.50", "pulse"),
    ("star", "Star", "1.00", "spin"),
    ("crystal", "Crystal", "2.00", "glow"),
    ("moon", "Moon", "5.00", "float"),
    ("rose", "Rose", "10.00", "bloom"),
]


def add_catalog(apps, schema_editor):
    GiftType = apps.get_model("streams", "GiftType")
    for order, (slug, name, price, animation) in enumerate(CATALOG):
        GiftType.objects.get_or_create(
            slug=slug,
            defaults={
                "name": name,
                "price": Decimal(price),
                "image": f"img/gifts/{slug}.svg",
                "animation": animation,
                "sort_order": order,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("streams", "0001_streams")]

    operations = [migrations.RunPython(add_catalog, migrations.RunPython.noop)]
