"""Stripe Connect: Express onboarding through single-use AccountLinks, and account status."""

from __future__ import annotations

import logging

from django.conf import settings
from django.utils import timezone

from accounts.models import User
from payments import gateway
from payments.models import (
    ConnectAccount,
)
from payments.services.ledger import PaymentError, _require_role

log = logging.getLogger(__name__)


def _apply_account(account) -> int:
    return ConnectAccount.objects.filter(stripe_account_id=account["id"]).update(
        details_submitted=bool(account.get("details_submitted")),
        charges_enabled=bool(account.get("charges_enabled")),
        payouts_enabled=bool(account.get("payouts_enabled")),
        updated_at=timezone.now(),
    )


def connect_account_for(user) -> ConnectAccount | None:
    return ConnectAccount.objects.filter(user_id=user.pk).first()


def start_connect_onboarding(reader, *, refresh_url: str, return_url: str) -> str:
    """Where to send the reader to onboard: a fresh single-use Stripe AccountLink (sandbox: straight back)."""
    _require_role(reader, User.Role.READER, "Only readers can set up payouts.")
    if settings.PAYMENTS_SANDBOX:
        ConnectAccount.objects.get_or_create(
            user=reader,
            defaults={
                "stripe_account_id": f"acct_sandbox_{reader.pk}",
                "sandbox": True,
                "details_submitted": True,
                "charges_enabled": True,
                "payouts_enabled": True,
            },
        )
        return return_url
    connect = connect_account_for(reader)
    try:
        if connect is None:
            account = gateway.create_express_account(email=reader.email, user_id=reader.pk)
            connect, _ = ConnectAccount.objects.get_or_create(user=reader, defaults={"stripe_account_id": account.id})
        link = gateway.create_account_link(
            account=connect.stripe_account_id, refresh_url=refresh_url, return_url=return_url
        )
    except gateway.StripeError as exc:
        log.exception("connect onboarding for reader %s failed", reader.pk)
        raise PaymentError("Stripe could not start onboarding. Please try again in a minute.") from exc
    return link.url


def refresh_connect_status(reader) -> ConnectAccount | None:
    """Re-read the reader's account from Stripe (when they return from onboarding)."""
    connect = connect_account_for(reader)
    if connect is None or connect.sandbox:
        return connect
    try:
        account = gateway.retrieve_account(connect.stripe_account_id)
    except gateway.StripeError:
        log.exception("could not refresh connect account %s", connect.stripe_account_id)
        return connect
    _apply_account(account)
    connect.refresh_from_db()
    return connect
