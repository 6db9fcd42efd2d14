"""Live streams: the stream, who is watching, its chat, the gift catalog and the gifts, bans and mutes.

Money is never written here: a :class:`Gift` points at the payments ``Movement`` that
``payments.services.charge`` wrote (key ``gift:<uuid>``), and the stream's totals are updated in the
same transaction.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from payments.models import MONEY, ZERO, Movement


class Stream(models.Model):
    class Status(models.TextChoices):
        LIVE = "live", "Live"
        ENDED = "ended", "Ended"

    class Category(models.TextChoices):
        GENERAL = "general", "General reading"
        TAROT = "tarot", "Tarot"
        ASTROLOGY = "astrology", "Astrology"
        MEDIUMSHIP = "mediumship", "Mediumship"
        LOVE = "love", "Love & relationships"
        ENERGY = "energy", "Energy & healing"

    class EndReason(models.TextChoices):
        NONE = "", "—"
        READER = "reader", "Ended by the reader"
        STAFF = "staff", "Ended by staff"
        MEDIA = "media", "The live video server went away"
        STALE = "stale", "The reader's connection was lost"

    reader = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="streams")
    title = models.CharField(max_length=120)
    description = models.TextField(max_length=1000, blank=True)
    category = models.CharField(max_length=20, choices=Category.choices, default=Category.GENERAL)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.LIVE, db_index=True)
    end_reason = models.CharField(max_length=10, choices=EndReason.choices, blank=True, default="")
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    started_at = models.DateTimeField(default=timezone.now, db_index=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    # Media: the Janus server the stream is pinned to (blank: no live video) and its private room.
    # The room secret (also the room's PIN) is known to the server only, never sent to a browser.
    janus_url = models.CharField(max_length=200, blank=True)
    room_id = models.BigIntegerField(null=True, blank=True)
    room_secret = models.CharField(max_length=64, blank=True)
    publisher_feed = models.BigIntegerField(null=True, blank=True)
    publishing = models.BooleanField(default=False)  # the reader's video reaches Janus right now
    publisher_seen_at = models.DateTimeField(null=True, blank=True)  # the reader's studio page, last heartbeat

    viewer_count = models.PositiveIntegerField(default=0)  # watching right now (distinct people)
    peak_viewers = models.PositiveIntegerField(default=0)
    total_viewers = models.PositiveIntegerField(default=0)  # distinct people who ever watched
    gift_total = models.DecimalField(**MONEY, default=ZERO)
    gift_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-started_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["reader"], condition=Q(status="live"), name="stream_one_live_per_reader"),
            models.CheckConstraint(condition=Q(status__in=["live", "ended"]), name="stream_status_valid"),
            models.CheckConstraint(
                condition=Q(status="live", ended_at__isnull=True) | Q(status="ended", ended_at__isnull=False),
                name="stream_ended_at_matches_status",
            ),
            models.CheckConstraint(condition=Q(gift_total__gte=0), name="stream_gift_total_not_negative"),
            models.CheckConstraint(
                condition=Q(peak_viewers__gte=models.F("viewer_count")), name="stream_peak_at_least_current"
            ),
        ]

    def __str__(self):
        return f"{self.title} ({self.get_status_display()})"

    def get_absolute_url(self):
        return reverse("streams:watch", args=[self.pk])

    @property
    def is_live(self) -> bool:
        return self.status == self.Status.LIVE

    @property
    def has_video(self) -> bool:
        return bool(self.janus_url)

    @property
    def duration(self):
        return (self.ended_at or timezone.now()) - self.started_at

    @property
    def reader_share(self) -> Decimal:
        from payments.services import split

        return sum((split(amount)[0] for amount in self.gifts.values_list("amount", flat=True)), ZERO)


class StreamConnection(models.Model):
    """One open stream page (socket). Viewers are counted from these rows, by distinct ``viewer_key``."""

    stream = models.ForeignKey(Stream, on_delete=models.CASCADE, related_name="connections")
    channel_name = models.CharField(max_length=200, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    viewer_key = models.CharField(max_length=80)  # "u<user id>" or "a<session or socket>" for visitors
    is_publisher = models.BooleanField(default=False)
    joined_at = models.DateTimeField(default=timezone.now)
    seen_at = models.DateTimeField(default=timezone.now)
    left_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["stream", "left_at"], name="streamconn_open_idx")]

    def __str__(self):
        return f"{self.viewer_key} on stream {self.stream_id}"


class StreamMessage(models.Model):
    stream = models.ForeignKey(Stream, on_delete=models.CASCADE, related_name="messages")
    sender = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.CharField(max_length=1000)
    created_at = models.DateTimeField(default=timezone.now)
    deleted_at = models.DateTimeField(null=True, blank=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [models.CheckConstraint(condition=~Q(text=""), name="streammessage_text_not_empty")]

    def __str__(self):
        return f"{self.sender_id}: {self.text[:40]}"


class StreamRestriction(models.Model):
    """A viewer muted (may watch, may not chat) or banned (may not watch) from one reader's streams."""

    class Kind(models.TextChoices):
        MUTE = "mute", "Muted"
        BAN = "ban", "Banned"

    reader = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="stream_restrictions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=4, choices=Kind.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["reader", "user", "kind"], name="streamrestriction_once"),
            models.CheckConstraint(condition=Q(kind__in=["mute", "ban"]), name="streamrestriction_kind_valid"),
            models.CheckConstraint(condition=~Q(reader=models.F("user")), name="streamrestriction_not_self"),
        ]

    def __str__(self):
        return f"{self.user} {self.get_kind_display().lower()} by {self.reader}"


class GiftType(models.Model):
    """The gift catalog (staff edit it in the admin). ``image`` is a path under ``static/``."""

    class Animation(models.TextChoices):
        FLOAT = "float", "Float up"
        PULSE = "pulse", "Pulse"
        SPIN = "spin", "Spin"
        GLOW = "glow", "Glow"
        BLOOM = "bloom", "Bloom"

    name = models.CharField(max_length=40)
    slug = models.SlugField(max_length=40, unique=True)
    price = models.DecimalField(**MONEY)
    image = models.CharField(max_length=200, help_text="Path under static/, e.g. img/gifts/rose.svg")
    animation = models.CharField(max_length=10, choices=Animation.choices, default=Animation.FLOAT)
    sort_order = models.PositiveIntegerField(default=0)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["sort_order", "price", "pk"]
        constraints = [models.CheckConstraint(condition=Q(price__gt=0), name="gifttype_price_positive")]

    def __str__(self):
        return f"{self.name} (${self.price})"


class Gift(models.Model):
    """One paid gift: the wallet debit is ``movement`` (70/30 split done by payments)."""

    stream = models.ForeignKey(Stream, on_delete=models.PROTECT, related_name="gifts")
    sender = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="gifts_sent")
    gift_type = models.ForeignKey(GiftType, on_delete=models.PROTECT, related_name="+")
    amount = models.DecimalField(**MONEY)
    key = models.CharField(max_length=80, unique=True)  # gift:<uuid>, made by the browser per click
    movement = models.OneToOneField(Movement, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="gift_amount_positive")]

    def __str__(self):
        return f"{self.gift_type.name} ${self.amount} from {self.sender_id}"
