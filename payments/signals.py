"""Signals other apps listen to; payments itself knows nothing of them."""

from django.dispatch import Signal

# Sent after the transaction that marked a top-up paid commits (``topup=TopUp``): the wallet holds
# the money now. The shop pays the order that top-up was started for (shop/receivers.py).
topup_paid = Signal()
