"""Community data. The notification centre lives here: every app tells people things through it."""

from django.conf import settings
from django.db import models


class Notification(models.Model):
    """One thing a person was told: a missed reading request, a favourite online, a new message…

    ``kind`` is one of ``community.services.notifications.KINDS`` (a registry, not DB choices, so
    apps add kinds without a migration here); ``url`` is a site path the notification links to.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=40)
    text = models.CharField(max_length=300)
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True, help_text="When an email about it was queued.")
    # Emails are rate-limited per (user, email_key): e.g. one per conversation per hour.
    email_key = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["user", "read_at"], name="notification_user_unread"),
            models.Index(fields=["user", "email_key", "emailed_at"], name="notification_email_limit"),
        ]

    def __str__(self):
        return f"{self.kind} for {self.user_id}: {self.text[:40]}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class NotificationPreference(models.Model):
    """A person's choice for one kind; no row means the default (email on)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    kind = models.CharField(max_length=40)
    email = models.BooleanField(default=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="notification_preference_once")]

    def __str__(self):
        return f"{self.user_id} {self.kind}: email {'on' if self.email else 'off'}"
