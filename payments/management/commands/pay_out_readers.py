from django.core.management.base import BaseCommand

from payments import services


class Command(BaseCommand):
    help = "Retry failed payouts, then pay every reader whose earnings reached PAYMENTS_PAYOUT_THRESHOLD."

    def handle(self, *args, **options):
        payouts = services.pay_out_readers()
        for payout in payouts:
            status = payout.get_status_display()
            self.stdout.write(f"payout {payout.pk}: ${payout.amount} to {payout.reader} — {status}")
        failed = sum(p.status != p.Status.PAID for p in payouts)
        self.stdout.write(f"{len(payouts)} payouts, {failed} not paid.")
