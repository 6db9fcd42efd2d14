"""Presence rows are rewritten every beat: no index on ``seen_at`` and half-empty pages on PostgreSQL,
so each write is a HOT update in place (see ``ReadingConnection``)."""

from django.db import migrations, models


def leave_room_on_each_page(apps, schema_editor, fillfactor=50):
    if schema_editor.connection.vendor == "postgresql":
        table = schema_editor.quote_name(apps.get_model("readings", "ReadingConnection")._meta.db_table)
        schema_editor.execute(f"ALTER TABLE {table} SET (fillfactor = {int(fillfactor)})")


def fill_pages(apps, schema_editor):
    leave_room_on_each_page(apps, schema_editor, fillfactor=100)


class Migration(migrations.Migration):
    dependencies = [
        ("readings", "0004_review_reply"),
    ]

    operations = [
        migrations.AlterField(
            model_name="readingconnection",
            name="seen_at",
            field=models.DateTimeField(),
        ),
        migrations.RunPython(leave_room_on_each_page, fill_pages),
    ]
