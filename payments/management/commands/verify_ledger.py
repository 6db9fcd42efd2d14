from django.core.management.base import BaseCommand, CommandError

from payments import services


class Command(BaseCommand):
    help = "Check the ledger: every cached balance equals its entries, every movement and the books sum to zero."

    def handle(self, *args, **options):
        problems = services.ledger_discrepancies()
        for problem in problems:
            self.stdout.write(self.style.ERROR(problem))
        if problems:
            raise CommandError(f"The ledger has {len(problems)} discrepancies.")
        self.stdout.write(self.style.SUCCESS("Ledger OK: balances match their entries and the books sum to zero."))
