"""Background work of the notification centre, run by the task worker (``manage.py db_worker``)."""

from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from community.models import Notification


@task()
def send_notification_email(notification_id: int) -> str:
    """Email one notification to its person. Queued in the transaction that stored it, so a rollback
    sends nothing; a notification already read on the site by the time the worker runs is skipped."""
    with transaction.atomic():
        notification = Notification.objects.select_related("user").filter(pk=notification_id).first()
        if notification is None or notification.read_at is not None or not notification.user.email:
            return "skipped"
        link = f"{settings.SITE_URL}{notification.url}" if notification.url.startswith("/") else notification.url
        body = f"{notification.text}\n\n{link}\n" if link else f"{notification.text}\n"
        body += f"\nChoose which emails you get: {settings.SITE_URL}/notifications/settings/\n"
        send_mail(
            subject=f"[SoulSeer] {notification.text[:120]}",
            message=body,
            from_email=None,
            recipient_list=[notification.user.email],
        )
    return "sent"


FAVOURITE_ONLINE_EVERY = timedelta(days=1)


@task()
def notify_favourite_online(reader_profile_id: int) -> int:
    """Tell the fans of a reader who just came online: in the centre at most once per reader per fan
    per day, and by email (people who are away) at most once per reader per day too."""
    from accounts.models import ReaderProfile
    from accounts.services import fans_of
    from community.services.notifications import notify

    profile = ReaderProfile.objects.filter(pk=reader_profile_id).first()
    if profile is None or not profile.is_online:
        return 0  # gone offline again before the worker ran: nothing to tell
    url = profile.get_absolute_url()
    since = timezone.now() - FAVOURITE_ONLINE_EVERY
    told = Notification.objects.filter(kind="favourite_online", url=url, created_at__gte=since).values("user_id")
    count = 0
    for fan in fans_of(profile).exclude(pk__in=told):
        notify(
            fan,
            "favourite_online",
            f"{profile.display_name} is online now — start a reading while they are available.",
            url,
            email_key=f"favourite_online:{profile.pk}",
            email_every=FAVOURITE_ONLINE_EVERY,
        )
        count += 1
    return count
