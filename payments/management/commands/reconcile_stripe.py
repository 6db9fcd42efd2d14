from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from payments import services


class Command(BaseCommand):
    help = "Compare the ledger with Stripe: payments Stripe has that the ledger lacks, and the reverse."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=7, help="How far back to look (default 7).")

    def handle(self, *args, days, **options):
        if settings.PAYMENTS_SANDBOX:
            self.stdout.write("Payments sandbox: there is no Stripe account to reconcile with.")
            return
        since = timezone.now() - timedelta(days=days)
        problems = services.reconcile_with_stripe(since=since)
        for problem in problems:
            self.stdout.write(self.style.ERROR(problem))
        if problems:
            raise CommandError(f"{len(problems)} differences between the ledger and Stripe.")
        self.stdout.write(self.style.SUCCESS(f"Ledger and Stripe agree for the last {days} days."))
