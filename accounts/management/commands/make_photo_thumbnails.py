"""Make the missing 64/128/256 px thumbnails of reader photos (after an upgrade, or a restore)."""

from django.core.management.base import BaseCommand

from accounts.images import make_thumbnails, thumbnails_exist
from accounts.models import ReaderProfile


class Command(BaseCommand):
    help = "Make missing WebP thumbnails of reader photos (idempotent; --force remakes them all)."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Remake thumbnails that already exist.")

    def handle(self, *args, force=False, **options):
        made = 0
        for profile in ReaderProfile.objects.exclude(photo="").only("pk", "photo").iterator():
            name, storage = profile.photo.name, profile.photo.storage
            if not storage.exists(name):
                self.stderr.write(f"reader {profile.pk}: {name} is missing")
                continue
            if force or not thumbnails_exist(name, storage):
                make_thumbnails(name, storage)
                made += 1
        self.stdout.write(f"made thumbnails for {made} photo(s)")
