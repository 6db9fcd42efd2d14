"""What every community action checks first: who is a member, sanctions, rate limits, clean text.

Errors carry a message that is safe and clear to show to the person (views put it on the page).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import F, Q
from django.utils import timezone
from django.utils.formats import date_format

from accounts.models import User
from community.models import Sanction


class CommunityError(Exception):
    """A community action was refused; the message is safe to show."""


class NotAllowed(CommunityError):
    """The person may not do this (role, category, lock, edit window, block…)."""


class RateLimited(CommunityError):
    """Too many actions in a short time."""


class Sanctioned(CommunityError):
    """A suspended or banned member tried to post or write."""

    def __init__(self, sanction: Sanction):
        self.sanction = sanction
        super().__init__(sanction_message(sanction))


def is_member(user) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active)


def is_staff(user) -> bool:
    """Moderators: active staff accounts (admins are always staff)."""
    return is_member(user) and user.is_staff


def require_member(user) -> None:
    if not is_member(user):
        raise NotAllowed("Log in to take part.")


def active_sanction(user, now: datetime | None = None) -> Sanction | None:
    """The sanction in force for ``user`` now: a ban first, else the suspension that ends last."""
    if not getattr(user, "pk", None):
        return None
    now = now or timezone.now()
    return (
        Sanction.objects.filter(user_id=user.pk, lifted_at__isnull=True, starts_at__lte=now)
        .filter(Q(ends_at__isnull=True) | Q(ends_at__gt=now))
        .order_by(F("ends_at").desc(nulls_first=True), "-pk")
        .first()
    )


def format_when(moment: datetime) -> str:
    return date_format(timezone.localtime(moment), "j F Y, H:i T")


def sanction_message(sanction: Sanction) -> str:
    if sanction.kind == Sanction.Kind.BAN:
        return f"Your account is banned from posting and messaging. Reason: {sanction.reason}"
    return (
        f"You are suspended from posting and messaging until {format_when(sanction.ends_at)}. Reason: {sanction.reason}"
    )


def require_good_standing(user, now: datetime | None = None) -> None:
    """Members who are suspended or banned cannot post, reply, flag or send messages."""
    require_member(user)
    sanction = active_sanction(user, now)
    if sanction is not None:
        raise Sanctioned(sanction)


def lock_member(user: User) -> None:
    """Serialise one member's writes (rate limits count rows; two requests must not both pass)."""
    User.objects.select_for_update().filter(pk=user.pk).first()


def check_rate(recent_count: int, limit: int, message: str) -> None:
    if limit > 0 and recent_count >= limit:
        raise RateLimited(message)


def since(now: datetime, **delta) -> datetime:
    return now - timedelta(**delta)


def clean_text(value: str, *, what: str, minimum: int, maximum: int) -> str:
    """Plain text as typed, trimmed, with Unix line breaks; refuses NUL bytes and lengths out of range."""
    if not isinstance(value, str) or "\x00" in value:
        raise CommunityError(f"{what} contains characters that are not allowed.")
    text = value.replace("\r\n", "\n").replace("\r", "\n").strip()
    if len(text) < minimum:
        raise CommunityError(f"{what} is too short: write at least {minimum} characters.")
    if len(text) > maximum:
        raise CommunityError(f"{what} is too long: at most {maximum} characters.")
    return text
