from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts.services import ensure_admin


class Command(BaseCommand):
    help = "Make ADMIN_EMAIL (or --email) an admin account. Safe to run on every deploy."

    def add_arguments(self, parser):
        parser.add_argument("--email", default=settings.ADMIN_EMAIL)

    def handle(self, *args, email, **options):
        if not email:
            self.stdout.write("ADMIN_EMAIL is not set; nothing to do.")
            return
        if "@" not in email:
            raise CommandError(f"{email!r} is not an email address.")
        user, created = ensure_admin(email)
        if created:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Created admin {user.email}. Set its password with: manage.py changepassword {user.email}"
                )
            )
        else:
            self.stdout.write(f"{user.email} is an admin.")
