"""The forum's five categories (DESIGN.md "Product rules"): Announcements take posts from staff only."""

from django.db import migrations

CATEGORIES = [
    ("Announcements", "announcements", "News from the SoulSeer team.", True),
    ("General", "general", "Say hello, share news and talk about anything on your mind.", False),
    ("Readings", "readings", "Share your reading experiences, tips and what you learned.", False),
    ("Spiritual Growth", "spiritual-growth", "Meditation, intuition, energy work and the path inward.", False),
    ("Ask a Reader", "ask-a-reader", "Ask a question; SoulSeer readers answer in public.", False),
]


def create(apps, schema_editor):
    Category = apps.get_model("community", "Category")
    for position, (name, slug, description, staff_only) in enumerate(CATEGORIES):
        Category.objects.update_or_create(
            slug=slug,
            defaults={"name": name, "description": description, "position": position, "staff_only": staff_only},
        )


def remove(apps, schema_editor):
    Category = apps.get_model("community", "Category")
    Category.objects.filter(slug__in=[slug for _, slug, _, _ in CATEGORIES], threads__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("community", "0003_forum_moderation_messages")]

    operations = [migrations.RunPython(create, remove)]
