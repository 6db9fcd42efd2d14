"""Readers' presence from their open pages: no open page for a grace period = offline.

``accounts.consumers.NotificationConsumer`` reports a reader's pages through the signals in
``accounts.services``; the rows here are the truth, so a killed worker (whose pages stop
beating) is handled by the sweeper like a closed page.
"""

from datetime import datetime, timedelta

from django.db import transaction
from django.dispatch import receiver
from django.utils import timezone

from accounts import services as accounts_services
from accounts.models import ReaderProfile
from readings import conf
from readings.models import ReaderTab

TAB_STALE_SECONDS = 90  # three missed heartbeats (NotificationConsumer beats every 30 s)


@receiver(accounts_services.reader_tab_opened)
def _opened(sender, user, channel_name, now, **kwargs):
    ReaderTab.objects.update_or_create(
        channel_name=channel_name, defaults={"user": user, "seen_at": now, "closed": False}
    )


@receiver(accounts_services.reader_tab_alive)
def _alive(sender, user, channel_name, now, **kwargs):
    ReaderTab.objects.filter(channel_name=channel_name).update(seen_at=now, closed=False)


@receiver(accounts_services.reader_tab_closed)
def _closed(sender, user, channel_name, now, **kwargs):
    ReaderTab.objects.filter(channel_name=channel_name).update(seen_at=now, closed=True)


@receiver(accounts_services.reader_presence_check)
def _check(sender, user, now, **kwargs):
    mark_gone_readers_offline(now, user_ids=[user.pk])


def mark_gone_readers_offline(now: datetime | None = None, user_ids: list[int] | None = None) -> int:
    """Online readers with page records, none open and fresh, the last one gone for the grace: offline.

    Readers who never opened a page here (e.g. set online by an admin) are left alone. A busy
    reader stays busy: the reading's own reconnect grace ends it, then this applies.
    """
    now = now or timezone.now()
    grace = timedelta(seconds=conf.get("READINGS_PRESENCE_GRACE_SECONDS"))
    fresh = now - timedelta(seconds=TAB_STALE_SECONDS)
    candidates = ReaderProfile.objects.filter(availability=ReaderProfile.Availability.ONLINE)
    candidates = candidates.filter(user_id__in=ReaderTab.objects.values("user_id"))
    if user_ids is not None:
        candidates = candidates.filter(user_id__in=user_ids)
    count = 0
    for profile in candidates:
        tabs = ReaderTab.objects.filter(user_id=profile.user_id)
        if tabs.filter(closed=False, seen_at__gte=fresh).exists():
            continue
        if tabs.filter(seen_at__gt=now - grace).exists():
            continue  # the last page closed recently: it may come back
        with transaction.atomic():
            locked = ReaderProfile.objects.select_for_update().get(pk=profile.pk)
            if locked.availability == ReaderProfile.Availability.ONLINE:
                accounts_services.set_availability(locked, ReaderProfile.Availability.OFFLINE)
                count += 1
    ReaderTab.objects.filter(seen_at__lt=now - timedelta(days=1)).delete()
    return count
