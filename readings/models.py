"""Pay-per-minute readings: the session row, its transcript, its review, and who is connected.

The reading row is the billing clock (see STYLE.md): it stores when billing started, how long it
was paused and how many minutes are billed, so whoever calls ``charge_due_minutes`` can work out
what is due without any in-memory timer.
"""

from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone


class Reading(models.Model):
    class Type(models.TextChoices):
        CHAT = "chat", "Chat"
        VOICE = "voice", "Voice"
        VIDEO = "video", "Video"

    class Status(models.TextChoices):
        REQUESTED = "requested", "Requested"
        ACCEPTED = "accepted", "Accepted"
        ACTIVE = "active", "Active"
        ENDED = "ended", "Ended"
        DECLINED = "declined", "Declined"
        EXPIRED = "expired", "Expired"
        CANCELLED = "cancelled", "Cancelled"

    OPEN = (Status.REQUESTED, Status.ACCEPTED, Status.ACTIVE)
    LIVE = (Status.ACCEPTED, Status.ACTIVE)  # the room is open

    client = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="readings_as_client")
    reader = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="readings_as_reader")
    type = models.CharField(max_length=10, choices=Type.choices)
    rate = models.DecimalField("rate $/min", max_digits=5, decimal_places=2)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.REQUESTED, db_index=True)

    requested_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True, help_text="Billing clock start (both connected).")
    paused_at = models.DateTimeField(null=True, blank=True)
    paused_seconds = models.FloatField(default=0.0, help_text="Total paused time before paused_at.")
    resumed_at = models.DateTimeField(
        null=True, blank=True, help_text="When the billing clock last (re)started: a pause never begins before it."
    )
    away_role = models.CharField(max_length=10, blank=True, help_text="Who is away while billing is paused.")
    billed_minutes = models.PositiveIntegerField(default=0)
    warned_minute = models.PositiveIntegerField(default=0, help_text="Last minute a low-balance warning went out.")
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=20, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    duration_seconds = models.PositiveIntegerField(default=0, help_text="Billable seconds, set at the end.")
    total_charged = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("0.00"))
    reader_share = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("0.00"))
    disputed = models.BooleanField(default=False)

    class Meta:
        ordering = ["-requested_at", "-pk"]
        indexes = [models.Index(fields=["status", "requested_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    status__in=["requested", "accepted", "active", "ended", "declined", "expired", "cancelled"]
                ),
                name="reading_status_valid",
            ),
            models.CheckConstraint(condition=Q(type__in=["chat", "voice", "video"]), name="reading_type_valid"),
            models.CheckConstraint(
                condition=Q(rate__gte=settings.SOULSEER_MIN_RATE) & Q(rate__lte=settings.SOULSEER_MAX_RATE),
                name="reading_rate_range",
            ),
            models.CheckConstraint(condition=~Q(client=models.F("reader")), name="reading_not_self"),
            models.CheckConstraint(
                condition=Q(total_charged__gte=0)
                & Q(reader_share__gte=0)
                & Q(reader_share__lte=models.F("total_charged")),
                name="reading_money_sane",
            ),
            models.UniqueConstraint(
                fields=["client"],
                condition=Q(status__in=["requested", "accepted", "active"]),
                name="reading_one_open_per_client",
            ),
            models.UniqueConstraint(
                fields=["reader"],
                condition=Q(status__in=["requested", "accepted", "active"]),
                name="reading_one_open_per_reader",
            ),
        ]

    def __str__(self):
        return f"Reading #{self.pk} ({self.type}, {self.status})"

    def get_absolute_url(self):
        return reverse("readings:detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN

    @property
    def is_live(self) -> bool:
        return self.status in self.LIVE

    @property
    def has_call(self) -> bool:
        return self.type in (self.Type.VOICE, self.Type.VIDEO)

    def role_of(self, user) -> str | None:
        if user is None or not getattr(user, "pk", None):
            return None
        if user.pk == self.client_id:
            return "client"
        if user.pk == self.reader_id:
            return "reader"
        return None

    def billable_seconds(self, now: datetime) -> float:
        """Seconds on the billing clock at ``now``: started, minus every pause (a current one too)."""
        if self.started_at is None:
            return 0.0
        end = self.ended_at or now
        if self.paused_at is not None:
            end = min(end, self.paused_at)
        return max(0.0, (end - self.started_at).total_seconds() - self.paused_seconds)

    def platform_share(self) -> Decimal:
        return self.total_charged - self.reader_share


class ChatMessage(models.Model):
    """One line of a reading's transcript. Stored as typed; escaped wherever it is shown."""

    reading = models.ForeignKey(Reading, on_delete=models.CASCADE, related_name="messages")
    sender = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField()
    sent_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["sent_at", "pk"]

    def __str__(self):
        return f"{self.sender_id}: {self.text[:40]}"


class Review(models.Model):
    reading = models.OneToOneField(Reading, on_delete=models.CASCADE, related_name="review")
    client = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reviews_given")
    reader = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reviews_received")
    rating = models.PositiveSmallIntegerField()
    comment = models.TextField(blank=True, max_length=2000)
    created_at = models.DateTimeField(default=timezone.now)
    # The reader's one public answer (``readings.services.reply_to_review``): both set, or neither.
    reply = models.TextField(blank=True, max_length=1000)
    replied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["reader", "-created_at"], name="review_reader_newest")]
        constraints = [
            models.CheckConstraint(condition=Q(rating__gte=1) & Q(rating__lte=5), name="review_rating_1_to_5"),
            models.CheckConstraint(
                condition=(Q(reply="") & Q(replied_at__isnull=True)) | (~Q(reply="") & Q(replied_at__isnull=False)),
                name="review_reply_with_date",
            ),
        ]

    def __str__(self):
        return f"{self.rating}★ for reading #{self.reading_id}"


class ReadingConnection(models.Model):
    """An open WebSocket of one party in a reading room: at most one per party (a new tab replaces it).

    ``seen_at`` is the last moment that party's browser was heard (the room's beats, written in one
    batch per process), so a party is present while it is fresh and "last seen" when it goes stale.

    Every open room socket's row is rewritten every beat, so ``seen_at`` has no index and the table
    leaves half of each page free (``fillfactor``, migration 0005): PostgreSQL then updates the row
    in place (a HOT update, no index entries) and reclaims the old versions as it goes, without
    waiting for a vacuum. With the index, a thousand rooms left 350,000 dead rows in a few minutes
    where autovacuum was off, and each beat's write slowed down as they piled up.
    """

    reading = models.ForeignKey(Reading, on_delete=models.CASCADE, related_name="connections")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    role = models.CharField(max_length=10)
    channel_name = models.CharField(max_length=200, unique=True)
    seen_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["reading", "role"], name="reading_connection_one_per_party"),
            models.CheckConstraint(condition=Q(role__in=["client", "reader"]), name="reading_connection_role_valid"),
        ]

    def __str__(self):
        return f"{self.role} in reading #{self.reading_id}"
