"""Account operations. Views, admin actions and commands call these; none writes roles itself."""

import logging
from datetime import datetime, timedelta
from functools import partial

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone
from django.utils.text import slugify

from accounts.models import ClientProfile, Favourite, PageConnection, ReaderProfile, User

log = logging.getLogger(__name__)


def _unique_slug(name: str, exclude_pk: int | None = None) -> str:
    base = slugify(name)[:80] or "reader"
    slug, n = base, 1
    taken = ReaderProfile.objects.exclude(pk=exclude_pk)
    while taken.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


@transaction.atomic
def make_reader(user: User, display_name: str = "", **profile_fields) -> ReaderProfile:
    """Turn ``user`` into a reader with a profile. Idempotent: an existing profile is kept."""
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.is_admin:
        raise ValueError("An admin account cannot also be a reader.")
    profile = ReaderProfile.objects.filter(user=user).first()
    if profile is None:
        name = display_name or user.get_full_name() or user.email.split("@")[0].title()
        profile = ReaderProfile.objects.create(user=user, display_name=name, slug=_unique_slug(name), **profile_fields)
    if user.role != User.Role.READER:
        user.role = User.Role.READER
        user.save(update_fields=["role"])
        log.info("user %s is now a reader", user.pk)
    return profile


def set_availability(profile: ReaderProfile, availability: str) -> ReaderProfile:
    """Set a reader online/offline/busy; ``availability`` must be one of the choices.

    Every open page hears of it after commit (group ``presence``), so badges update live.
    """
    if availability not in ReaderProfile.Availability.values:
        raise ValueError(f"Unknown availability {availability!r}.")
    with transaction.atomic():
        came_online = availability == ReaderProfile.Availability.ONLINE and bool(
            ReaderProfile.objects.filter(pk=profile.pk, availability=ReaderProfile.Availability.OFFLINE).update(
                availability=availability
            )
        )
        ReaderProfile.objects.filter(pk=profile.pk).update(availability=availability)
        profile.availability = availability
        payload = {"kind": "presence", "profile": profile.pk, "availability": availability}
        broadcast_on_commit(PRESENCE_GROUP, {"type": "notify", "payload": payload})
        if came_online:
            # From offline (not back from a reading): the community app queues the fans' notifications
            # as a task in this transaction, so going online costs one INSERT, not one per fan.
            reader_came_online.send(sender=ReaderProfile, profile=profile)
    return profile


def broadcast_on_commit(group: str, message: dict) -> None:
    """Send ``message`` to a channel-layer group once the current transaction commits (never before)."""
    transaction.on_commit(partial(_broadcast, group, message))


@transaction.atomic
def set_name_sharing(user: User, first_name: str, share: bool) -> ClientProfile:
    """A client's first name and whether readers see it (otherwise they see "Client #id").
    Sharing needs a name: without one nothing is shared."""
    first_name = (first_name or "").strip()[:60]
    if user.first_name != first_name:
        user.first_name = first_name
        user.save(update_fields=["first_name"])
    profile, _ = ClientProfile.objects.update_or_create(user=user, defaults={"share_name": share and bool(first_name)})
    return profile


# --- Favourites ---------------------------------------------------------------------


def add_favourite(client: User, reader: ReaderProfile) -> Favourite:
    """Keep ``reader`` among ``client``'s favourites. Idempotent."""
    if not client.is_client:
        raise ValueError("Only clients keep favourite readers.")
    favourite, _ = Favourite.objects.get_or_create(client=client, reader=reader)
    return favourite


def remove_favourite(client: User, reader: ReaderProfile) -> None:
    """Drop ``reader`` from ``client``'s favourites. Idempotent."""
    Favourite.objects.filter(client=client, reader=reader).delete()


def favourite_reader_ids(client: User) -> set[int]:
    """ReaderProfile ids the client keeps (one query; empty for anyone who is not a client)."""
    if not getattr(client, "is_authenticated", False) or not client.is_client:
        return set()
    return set(Favourite.objects.filter(client=client).values_list("reader_id", flat=True))


def fans_of(reader: ReaderProfile):
    """The active clients who keep ``reader`` (a queryset of users), e.g. to tell them the reader went live."""
    return User.objects.filter(favourites__reader=reader, is_active=True)


# --- Presence: people's open pages (``PageConnection``) ------------------------------

PRESENCE_GROUP = "presence"
PAGE_HEARTBEAT_SECONDS = 30  # NotificationConsumer beats this often
PAGE_STALE_SECONDS = 90  # three missed beats: the page's worker is gone
# Sent (inside the transaction) when a reader goes from offline to online: their fans are told.
reader_came_online = Signal()  # sender=ReaderProfile, profile
# Sent when a reader's last page may have closed: readings.presence decides "offline" (no import cycle).
reader_presence_check = Signal()  # sender=User, user, now


def _broadcast(group: str, message: dict) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group, message)
    except Exception:  # a lost badge update must never undo a committed change
        log.exception("broadcast to %s failed", group)


def page_opened(user: User, channel_name: str, now: datetime | None = None) -> None:
    PageConnection.objects.update_or_create(
        channel_name=channel_name, defaults={"user": user, "seen_at": now or timezone.now(), "closed": False}
    )


def pages_alive(channel_names: list[str], now: datetime | None = None) -> int:
    """One process's open pages are alive: one UPDATE per 500 pages."""
    now = now or timezone.now()
    updated = 0
    for i in range(0, len(channel_names), 500):
        chunk = channel_names[i : i + 500]
        updated += PageConnection.objects.filter(channel_name__in=chunk).update(seen_at=now, closed=False)
    return updated


def page_closed(channel_name: str, now: datetime | None = None) -> None:
    PageConnection.objects.filter(channel_name=channel_name).update(seen_at=now or timezone.now(), closed=True)


def is_on_site(user: User, now: datetime | None = None) -> bool:
    """Whether ``user`` has a page of the site open right now (a fresh, unclosed page socket)."""
    fresh = (now or timezone.now()) - timedelta(seconds=PAGE_STALE_SECONDS)
    return PageConnection.objects.filter(user_id=user.pk, closed=False, seen_at__gte=fresh).exists()


def check_reader_presence(user: User) -> None:
    reader_presence_check.send(sender=User, user=user, now=timezone.now())


@transaction.atomic
def ensure_admin(email: str) -> tuple[User, bool]:
    """Make ``email`` an admin (staff and superuser), creating the account if needed.

    Returns (user, created). Running it again changes nothing.
    """
    email = User.objects.normalize_email(email).lower()
    user = User.objects.select_for_update().filter(email=email).first()
    created = user is None
    if created:
        user = User.objects.create_superuser(email=email, password=None)  # sets an unusable password
    elif not (user.is_admin and user.is_staff and user.is_superuser):
        user.role, user.is_staff, user.is_superuser = User.Role.ADMIN, True, True
        user.save(update_fields=["role", "is_staff", "is_superuser"])
    return user, created
