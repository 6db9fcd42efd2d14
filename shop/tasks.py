"""The shop's background work, run by the task worker."""

from django.conf import settings
from django.core.mail import send_mail
from django_tasks import task


@task()
def send_shop_email(to: str, subject: str, body: str) -> str:
    """An order email (receipt, shipped, delivered, refunded); queued after the change commits."""
    footer = f"\nYour orders: {settings.SITE_URL}/shop/orders/\n"
    send_mail(subject=f"[SoulSeer] {subject}", message=body + footer, from_email=None, recipient_list=[to])
    return "sent"
