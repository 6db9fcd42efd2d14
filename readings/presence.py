"""Readers' presence from their open pages: no open page for a grace period = offline.

``accounts.consumers.NotificationConsumer`` keeps a ``PageConnection`` row per open page; the rows
are the truth, so a killed worker (whose pages stop beating) is handled by the sweeper like a
closed page.
"""

from datetime import datetime, timedelta

from django.db import transaction
from django.dispatch import receiver
from django.utils import timezone

from accounts import services as accounts_services
from accounts.models import PageConnection, ReaderProfile
from readings import conf


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
    fresh = now - timedelta(seconds=accounts_services.PAGE_STALE_SECONDS)
    candidates = ReaderProfile.objects.filter(availability=ReaderProfile.Availability.ONLINE)
    candidates = candidates.filter(user_id__in=PageConnection.objects.values("user_id"))
    if user_ids is not None:
        candidates = candidates.filter(user_id__in=user_ids)
    count = 0
    for profile in candidates:
        pages = PageConnection.objects.filter(user_id=profile.user_id)
        if pages.filter(closed=False, seen_at__gte=fresh).exists():
            continue
        if pages.filter(seen_at__gt=now - grace).exists():
            continue  # the last page closed recently: it may come back
        with transaction.atomic():
            locked = ReaderProfile.objects.select_for_update().get(pk=profile.pk)
            if locked.availability == ReaderProfile.Availability.ONLINE:
                accounts_services.set_availability(locked, ReaderProfile.Availability.OFFLINE)
                count += 1
    PageConnection.objects.filter(seen_at__lt=now - timedelta(days=1)).delete()
    return count
