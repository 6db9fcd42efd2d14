"""The shop listens to payments: a top-up started for an order pays that order once credited."""

import logging

from django.dispatch import receiver

from payments.signals import topup_paid

log = logging.getLogger(__name__)


@receiver(topup_paid, dispatch_uid="shop.pay_order_after_topup")
def pay_order_after_topup(sender, topup, **kwargs) -> None:
    from shop.services.orders import on_topup_paid

    try:
        on_topup_paid(topup)
    except Exception:
        # The money is in the wallet either way; the order page offers "pay from wallet".
        log.exception("paying the order of top-up %s failed", topup.pk)
