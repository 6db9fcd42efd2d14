"""Reading the books: the money overview, ledger checks and reconciliation with Stripe."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db.models import Count, Q, Sum

from payments import gateway
from payments.models import (
    ZERO,
    Account,
    Entry,
    Movement,
    Payout,
)
from payments.services.ledger import cents, movement_for_key, system_balance

log = logging.getLogger(__name__)


def money_overview() -> dict:
    totals = {row["kind"]: row["total"] for row in Account.objects.values("kind").annotate(total=Sum("balance"))}
    totals[Account.Kind.REVENUE] = system_balance(Account.Kind.REVENUE)
    payouts = Payout.objects.aggregate(
        paid_total=Sum("amount", filter=Q(status=Payout.Status.PAID)),
        paid_count=Count("pk", filter=Q(status=Payout.Status.PAID)),
        open_total=Sum("amount", filter=~Q(status=Payout.Status.PAID)),
        open_count=Count("pk", filter=~Q(status=Payout.Status.PAID)),
    )
    return {
        "platform_revenue": cents(totals.get(Account.Kind.REVENUE)),
        "client_balances": cents(totals.get(Account.Kind.WALLET)),
        "reader_earnings_owed": cents(totals.get(Account.Kind.EARNINGS)),
        "payouts_paid_total": cents(payouts["paid_total"]),
        "payouts_paid_count": payouts["paid_count"],
        "payouts_open_total": cents(payouts["open_total"]),
        "payouts_open_count": payouts["open_count"],
    }


def ledger_discrepancies() -> list[str]:
    """Everything wrong with the books (empty when they are right): see ``manage.py verify_ledger``."""
    problems = []
    per_account = Entry.objects.values("account_id").annotate(total=Sum("amount"))
    sums = {row["account_id"]: cents(row["total"]) for row in per_account}
    for account in Account.objects.select_related("user").order_by("pk"):
        from_entries = sums.get(account.pk, ZERO)
        if account.kind not in Account.PERSONAL:
            if account.balance is not None:
                problems.append(f"account {account.pk} ({account}): the platform's accounts keep no cached balance")
            continue
        if account.balance != from_entries:
            problems.append(
                f"account {account.pk} ({account}): cached balance {account.balance} != entries {from_entries}"
            )
        if account.kind == Account.Kind.WALLET and from_entries < 0:
            problems.append(f"account {account.pk} ({account}): wallet is negative ({from_entries})")
    movements = Movement.objects.annotate(total=Sum("entries__amount"), legs=Count("entries"))
    for pk, key, total, legs in movements.values_list("pk", "key", "total", "legs").order_by("pk"):
        if legs < 2 or cents(total) != 0:
            problems.append(f"movement {pk} ({key}): {legs} entries summing to {cents(total)}, not 0")
    grand_total = cents(Entry.objects.aggregate(total=Sum("amount"))["total"])
    if grand_total != 0:
        problems.append(f"the books sum to {grand_total}, not 0")
    return problems


def reconcile_with_stripe(*, since) -> list[str]:
    """Differences between the ledger and Stripe since ``since`` (empty when they agree).

    Stripe is listed from a day earlier than the ledger, so a payment started just before the
    window but credited inside it is not reported as missing.
    """
    problems = []
    stripe_since = int((since - timedelta(days=1)).timestamp())

    paid_sessions = {
        s["id"]: s
        for s in gateway.list_checkout_sessions(created_gte=stripe_since)
        if s.get("payment_status") == "paid" and (s.get("metadata") or {}).get("purpose") == "topup"
    }
    for session_id, session in paid_sessions.items():
        movement = movement_for_key(f"topup:{session_id}")
        amount = gateway.from_cents(session["amount_total"])
        if movement is None:
            if session["created"] >= since.timestamp():
                problems.append(f"Stripe checkout {session_id} was paid (${amount}) but the ledger has no top-up")
        elif movement.amount != amount:
            problems.append(f"checkout {session_id}: Stripe says ${amount}, the ledger credited ${movement.amount}")
    recent = Movement.objects.filter(created_at__gte=since)
    ledger_topups = recent.filter(kind=Movement.Kind.TOPUP, key__startswith="topup:cs_")
    for key, amount in ledger_topups.values_list("key", "amount"):
        if key.removeprefix("topup:") not in paid_sessions:
            problems.append(f"ledger top-up {key} (${amount}) has no paid Stripe checkout")

    reloads = {
        pi["id"]: pi
        for pi in gateway.list_payment_intents(created_gte=stripe_since)
        if pi.get("status") == "succeeded" and (pi.get("metadata") or {}).get("purpose") == "auto_reload"
    }
    for intent_id, intent in reloads.items():
        key = f"autoreload:{(intent.get('metadata') or {}).get('attempt')}"
        if movement_for_key(key) is None and intent["created"] >= since.timestamp():
            amount = gateway.from_cents(intent["amount_received"])
            problems.append(f"Stripe payment {intent_id} (auto-reload, ${amount}) is not in the ledger")
    ledger_reloads = recent.filter(kind=Movement.Kind.AUTO_RELOAD).exclude(reference="")
    for key, reference in ledger_reloads.values_list("key", "reference"):
        if reference not in reloads:
            problems.append(f"ledger auto-reload {key} has no succeeded Stripe payment {reference}")

    transfers = {t["id"]: t for t in gateway.list_transfers(created_gte=stripe_since)}
    paid = Payout.objects.filter(status=Payout.Status.PAID, paid_at__gte=since).exclude(
        stripe_transfer_id__startswith="tr_sandbox_"
    )
    for pk, transfer_id, amount in paid.values_list("pk", "stripe_transfer_id", "amount"):
        transfer = transfers.get(transfer_id)
        if transfer is None:
            problems.append(f"payout {pk} (${amount}) is paid in the ledger but Stripe has no transfer {transfer_id}")
        elif gateway.from_cents(transfer["amount"]) != amount:
            problems.append(f"payout {pk}: ledger ${amount}, Stripe transfer {transfer_id} ${transfer['amount'] / 100}")
    known = set(Payout.objects.filter(status=Payout.Status.PAID).values_list("stripe_transfer_id", flat=True))
    for transfer_id, transfer in transfers.items():
        if transfer_id not in known and transfer["created"] >= since.timestamp():
            amount = gateway.from_cents(transfer["amount"])
            problems.append(f"Stripe transfer {transfer_id} (${amount}) matches no paid payout in the ledger")
    return problems
