"""Operations records: when each background process last proved it was alive."""

from django.db import models


class ProcessHeartbeat(models.Model):
    """One row per kind of background process (``bill_readings``, ``db_worker``), updated as it works.

    The health endpoint (``/health/``) reports a process stale when its row is older than the
    process's period allows. With several processes of one kind, the freshest beat wins: the row
    says that at least one of them is working.
    """

    name = models.CharField(max_length=40, unique=True)
    beat_at = models.DateTimeField()
    hostname = models.CharField(max_length=255, blank=True)
    pid = models.PositiveIntegerField(null=True, blank=True)
    detail = models.CharField(max_length=255, blank=True, help_text="The last pass in a few words.")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} at {self.beat_at:%Y-%m-%d %H:%M:%S}"
