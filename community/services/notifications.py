"""The site's one notification centre. Every app calls ``notify``; nothing else writes notifications.

A notification is stored (the centre's page lists it) and, after commit, the person's open pages
hear of it on ``user.<id>`` with the new unread count (the bell). Email for people who are not on
the site is decided here too, so no app grows a mechanism of its own: when the person has no page
of the site open (``accounts.services.is_on_site``) and has not switched that kind off, an email is
queued for the task worker in the same transaction, at most one per (person, ``email_key``) per
interval (default: the kind, ``NOTIFICATIONS_EMAIL_INTERVAL_SECONDS``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from accounts.services import broadcast_on_commit, is_on_site
from community.models import Notification, NotificationPreference
from community.tasks import send_notification_email

# Every kind the site sends, with the label shown in the person's settings. Apps add theirs here.
KINDS: dict[str, str] = {
    "reading_missed": "A reading request you missed",
    "reading_update": "Reading requests and their outcome",
    "favourite_online": "A favourite reader comes online",
    "stream_live": "A favourite reader goes live",
    "new_message": "New private messages",
    "paid_reply": "Paid replies from readers",
    "thread_reply": "Replies to your forum threads",
    "order_update": "Your shop orders and sales",
    "moderation": "Moderation of your posts",
}


class UnknownKind(ValueError):
    pass


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


def unread_count(user: User) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def _push_count(user: User, notification: Notification | None = None) -> None:
    payload: dict = {"kind": "notification", "unread": unread_count(user)}
    if notification is not None:
        payload.update(
            {"id": notification.pk, "category": notification.kind, "text": notification.text, "url": notification.url}
        )
    broadcast_on_commit(user_group(user.pk), {"type": "notify", "payload": payload})


@transaction.atomic
def notify(
    user: User,
    kind: str,
    text: str,
    url: str = "",
    *,
    email_key: str = "",
    email_every: timedelta | None = None,
    email: bool = True,
) -> Notification:
    """Tell ``user`` something: stored for the centre, pushed live after commit, emailed if they are away.

    ``email_key`` groups emails for the rate limit (e.g. ``f"conversation:{id}"``; default: the
    kind) and ``email_every`` is the least time between two of them (default: the setting).
    ``email=False``: the caller sends its own email (e.g. a shop receipt, sent whether or not the
    person is on the site), so the centre only stores and pushes it.
    """
    if kind not in KINDS:
        raise UnknownKind(f"Unknown notification kind {kind!r}.")
    notification = Notification.objects.create(user=user, kind=kind, text=text[:300], url=url[:300])
    _push_count(user, notification)
    if email:
        _maybe_email(notification, email_key or kind, email_every)
    return notification


def _maybe_email(notification: Notification, key: str, every: timedelta | None) -> bool:
    user = notification.user
    if not user.email or not user.is_active or not email_wanted(user, notification.kind) or is_on_site(user):
        return False
    now = timezone.now()
    every = every if every is not None else timedelta(seconds=settings.NOTIFICATIONS_EMAIL_INTERVAL_SECONDS)
    key = key[:100]
    recent = Notification.objects.filter(user=user, email_key=key, emailed_at__gt=now - every)
    if recent.exclude(pk=notification.pk).exists():
        return False
    Notification.objects.filter(pk=notification.pk).update(emailed_at=now, email_key=key)
    send_notification_email.enqueue(notification.pk)  # the database backend: same transaction
    return True


def notify_many(users: Iterable[User], kind: str, text: str, url: str = "") -> int:
    """``notify`` each of ``users`` (e.g. a reader's fans); returns how many were told."""
    count = 0
    for user in users:
        notify(user, kind, text, url)
        count += 1
    return count


@transaction.atomic
def mark_read(user: User, ids: Iterable[int] | None = None) -> int:
    """Mark ``ids`` (or everything) read for ``user``; another person's ids are ignored."""
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=list(ids))
    changed = unread.update(read_at=timezone.now())
    if changed:
        _push_count(user)
    return changed


def email_wanted(user: User, kind: str) -> bool:
    """Whether ``user`` accepts email for ``kind`` (default yes; switched off per kind in their settings)."""
    pref = NotificationPreference.objects.filter(user=user, kind=kind).first()
    return pref is None or pref.email


def set_email_preference(user: User, kind: str, email: bool) -> None:
    if kind not in KINDS:
        raise UnknownKind(f"Unknown notification kind {kind!r}.")
    NotificationPreference.objects.update_or_create(user=user, kind=kind, defaults={"email": email})
