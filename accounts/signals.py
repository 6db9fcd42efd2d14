from django.db.models.signals import post_save
from django.dispatch import receiver

from accounts.models import ClientProfile, User


@receiver(post_save, sender=User)
def create_client_profile(sender, instance, created, **kwargs):
    """Every user gets a client profile with their account (readers may also buy)."""
    if created:
        ClientProfile.objects.get_or_create(user=instance)
