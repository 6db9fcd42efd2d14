from django.db import transaction
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from accounts.images import delete_photo, make_thumbnails
from accounts.models import ClientProfile, ReaderProfile, User


@receiver(post_save, sender=User)
def create_client_profile(sender, instance, created, **kwargs):
    """Every user gets a client profile with their account (readers may also buy)."""
    if created:
        ClientProfile.objects.get_or_create(user=instance)


@receiver(pre_save, sender=ReaderProfile)
def remember_old_photo(sender, instance, raw=False, **kwargs):
    if raw or not instance.pk:
        instance._old_photo_name = ""
        return
    instance._old_photo_name = sender.objects.filter(pk=instance.pk).values_list("photo", flat=True).first() or ""


@receiver(post_save, sender=ReaderProfile)
def photo_thumbnails_and_cleanup(sender, instance, raw=False, **kwargs):
    """A new photo gets its thumbnails now; the replaced one (and its thumbnails) goes once committed."""
    if raw:
        return
    old, new = getattr(instance, "_old_photo_name", ""), instance.photo.name or ""
    if new and new != old:
        make_thumbnails(new, instance.photo.storage)
    if old and old != new:
        storage = instance.photo.storage
        transaction.on_commit(lambda: delete_photo(old, storage))
    instance._old_photo_name = new


@receiver(post_delete, sender=ReaderProfile)
def delete_photo_with_profile(sender, instance, **kwargs):
    if instance.photo.name:
        name, storage = instance.photo.name, instance.photo.storage
        transaction.on_commit(lambda: delete_photo(name, storage))
