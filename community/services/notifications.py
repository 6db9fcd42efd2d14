"""The site's one notification centre. Every app calls ``notify``; nothing else writes notifications.

A notification is stored (the centre's page lists it) and, after commit, the person's open pages
hear of it on ``user.<id>`` with the new unread count (the bell). Email for people who are not on
the site is decided here too (see ``email_wanted``), so no app grows a mechanism of its own.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from accounts.services import broadcast_on_commit
from community.models import Notification, NotificationPreference

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
def notify(user: User, kind: str, text: str, url: str = "") -> Notification:
    """Tell ``user`` something: stored for the centre, pushed live after commit."""
    if kind not in KINDS:
        raise UnknownKind(f"Unknown notification kind {kind!r}.")
    notification = Notification.objects.create(user=user, kind=kind, text=text[:300], url=url[:300])
    _push_count(user, notification)
    return notification


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
