"""Background work of the notification centre, run by the task worker (``manage.py db_worker``)."""

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
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
