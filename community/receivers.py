"""What the notification centre hears from other apps (signals, so they need not import community)."""

from django.dispatch import receiver

from accounts.services import reader_came_online
from community.tasks import notify_favourite_online


@receiver(reader_came_online)
def _favourite_came_online(sender, profile, **kwargs):
    notify_favourite_online.enqueue(profile.pk)  # the database backend: in the caller's transaction
