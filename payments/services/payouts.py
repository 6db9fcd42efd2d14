"""Payouts: readers' earnings sent by Transfer, retried from our side when they fail."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from payments import gateway, tasks
from payments.models import (
    Account,
    ConnectAccount,
    Movement,
    Payout,
)
from payments.services.ledger import CENT, PaymentError, _lock, _personal_account, _post, _system_account

log = logging.getLogger(__name__)


def pay_out(reader, *, force: bool = False, by=None) -> Payout | None:
    """Pay a reader's unpaid earnings to their connected account.

    Automatic runs (``force=False``) pay only at or above ``PAYMENTS_PAYOUT_THRESHOLD`` and
    return None otherwise; an admin (``force=True``) may pay any positive balance and gets a
    :class:`PaymentError` explaining why not. Only accounts with payouts enabled are paid. The
    ledger movement is written here; the transfer is sent by the task worker (:func:`send_payout`).
    """

    def refuse(message: str):
        if force:
            raise PaymentError(message)
        return None

    if getattr(reader, "role", None) != User.Role.READER:
        return refuse("Only readers are paid out.")
    with transaction.atomic():
        connect = ConnectAccount.objects.filter(user_id=reader.pk).first()
        if connect is None or not connect.payouts_enabled:
            return refuse("This reader has not finished Stripe onboarding (payouts are not enabled).")
        earnings = _personal_account(reader, Account.Kind.EARNINGS, create=False)
        if earnings is None:
            return refuse("This reader has no earnings to pay out.")
        external = _system_account(Account.Kind.EXTERNAL)
        amount = _lock(earnings)[earnings.pk].balance
        minimum = CENT if force else settings.PAYMENTS_PAYOUT_THRESHOLD
        if amount < minimum:
            return refuse(f"There is nothing to pay out (unpaid earnings: ${amount}).")
        payout = Payout.objects.create(
            reader_id=reader.pk, amount=amount, destination=connect.stripe_account_id, requested_by=by
        )
        posted = _post(
            key=f"payout:{payout.pk}",
            kind=Movement.Kind.PAYOUT,
            amount=amount,
            legs=[(earnings, -amount), (external, amount)],
            memo="Payout to your Stripe account",
            reference=connect.stripe_account_id,
            reader=reader,
            created_by=by,
        )
        payout.movement = posted.movement
        payout.save(update_fields=["movement"])
        tasks.send_payout.enqueue(payout.pk)  # the worker sends the transfer
    return payout


def send_payout(payout_id: int, *, retry: bool = False) -> Payout:
    """Send (or, with ``retry``, re-send a failed) payout's transfer. Runs outside any lock.

    A retry first claims the payout with a conditional UPDATE (failed -> pending) that must hit
    exactly one row, so two workers never send it twice. Each recorded failure moves on to a new
    Stripe idempotency key; an unanswered attempt is re-sent with the same key.
    """
    if retry and not Payout.objects.filter(pk=payout_id, status=Payout.Status.FAILED).update(
        status=Payout.Status.PENDING, last_error=""
    ):
        return Payout.objects.get(pk=payout_id)
    payout = Payout.objects.select_related("reader").get(pk=payout_id)
    if payout.status != Payout.Status.PENDING:
        return payout
    sandbox = ConnectAccount.objects.filter(stripe_account_id=payout.destination, sandbox=True).exists()
    if sandbox:
        transfer_id = f"tr_sandbox_{payout.pk}"
    else:
        try:
            transfer = gateway.create_transfer(
                amount=payout.amount,
                destination=payout.destination,
                transfer_group=payout.transfer_group,
                idempotency_key=f"payout-{payout.pk}-{payout.attempts}",
                metadata={"payout": str(payout.pk), "soulseer_user": str(payout.reader_id)},
            )
        except gateway.StripeError as exc:
            log.warning("payout %s failed: %s", payout.pk, exc)
            message = (getattr(exc, "user_message", None) or str(exc) or "Transfer failed.")[:255]
            Payout.objects.filter(pk=payout.pk, status=Payout.Status.PENDING).update(
                status=Payout.Status.FAILED, attempts=payout.attempts + 1, last_error=message
            )
            payout.refresh_from_db()
            return payout
        transfer_id = transfer.id
    Payout.objects.filter(pk=payout.pk, status=Payout.Status.PENDING).update(
        status=Payout.Status.PAID, stripe_transfer_id=transfer_id, paid_at=timezone.now(), last_error=""
    )
    payout.refresh_from_db()
    return payout


def retry_payouts(*, stuck_after: timedelta = timedelta(minutes=15)) -> list[Payout]:
    """Re-send failed payouts, and pending ones nobody finished (a crashed worker)."""
    failed = Payout.objects.filter(status=Payout.Status.FAILED).values_list("pk", flat=True)
    results = [send_payout(pk, retry=True) for pk in failed]
    stuck = Payout.objects.filter(status=Payout.Status.PENDING, created_at__lt=timezone.now() - stuck_after)
    results += [send_payout(pk) for pk in stuck.values_list("pk", flat=True)]
    return results


def readers_due_payout():
    """Readers whose unpaid earnings reached the threshold and whose payouts are enabled."""
    return User.objects.filter(
        role=User.Role.READER,
        connect_account__payouts_enabled=True,
        ledger_accounts__kind=Account.Kind.EARNINGS,
        ledger_accounts__balance__gte=settings.PAYMENTS_PAYOUT_THRESHOLD,
    ).order_by("pk")


def pay_out_readers() -> list[Payout]:
    """The scheduled run: retry what failed, then pay everyone due."""
    results = retry_payouts()
    for reader in readers_due_payout():
        try:
            payout = pay_out(reader)
        except PaymentError as exc:  # pragma: no cover - pay_out(force=False) returns None instead
            log.warning("payout for %s skipped: %s", reader.pk, exc)
            continue
        if payout is not None:
            payout.refresh_from_db()
            results.append(payout)
    return results
