from decimal import Decimal

from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Case, Count, F, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce, Least
from django.urls import reverse
from django.utils.text import slugify

from accounts.images import MAX_SIDE as PHOTO_MAX_SIDE
from accounts.images import thumbnail_name, thumbnail_sizes, validate_photo

RATE_FIELDS = {"chat": "chat_rate", "voice": "voice_rate", "video": "video_rate"}


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra):
        extra.setdefault("role", User.Role.CLIENT)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email, password=None, **extra):
        extra.update(role=User.Role.ADMIN, is_staff=True, is_superuser=True)
        return self._create_user(email, password, **extra)


class User(AbstractUser):
    """A person on SoulSeer. Logs in with their email; ``role`` says what they may do."""

    class Role(models.TextChoices):
        CLIENT = "client", "Client"
        READER = "reader", "Reader"
        ADMIN = "admin", "Admin"

    username = None
    email = models.EmailField("email address", unique=True)
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.CLIENT, db_index=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = []

    objects = UserManager()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(role__in=["client", "reader", "admin"]), name="user_role_valid"),
            models.CheckConstraint(condition=~Q(role="admin") | Q(is_staff=True), name="user_admin_is_staff"),
        ]

    def __str__(self):
        return self.email

    @property
    def is_client(self) -> bool:
        return self.role == self.Role.CLIENT

    @property
    def is_reader(self) -> bool:
        return self.role == self.Role.READER

    @property
    def is_admin(self) -> bool:
        return self.role == self.Role.ADMIN

    @property
    def public_name(self) -> str:
        """How other people see this person: a reader's display name, else first name, else 'Client #id'."""
        if self.is_reader and hasattr(self, "reader_profile"):
            return self.reader_profile.display_name
        if hasattr(self, "client_profile") and self.client_profile.share_name and self.first_name:
            return self.first_name
        return f"Client #{self.pk}"


class Specialty(models.Model):
    name = models.CharField(max_length=60, unique=True)
    slug = models.SlugField(max_length=60, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "specialties"

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = slugify(self.name)
        super().save(*args, **kwargs)


def rate_validators():
    low, high = settings.SOULSEER_MIN_RATE, settings.SOULSEER_MAX_RATE
    return [
        MinValueValidator(low, f"Rates start at ${low} per minute."),
        MaxValueValidator(high, f"Rates can be at most ${high} per minute."),
    ]


def _rate_range(field: str) -> Q:
    return Q(**{f"{field}__isnull": True}) | Q(
        **{f"{field}__gte": settings.SOULSEER_MIN_RATE, f"{field}__lte": settings.SOULSEER_MAX_RATE}
    )


_NO_RATE = Value(Decimal("9999.99"))


class ReaderQuerySet(models.QuerySet):
    def listed(self):
        """Readers shown to the public: active accounts that still have the reader role."""
        return self.filter(user__is_active=True, user__role=User.Role.READER)

    def with_lowest_rate(self):
        return self.annotate(
            lowest=Least(
                Coalesce("chat_rate", _NO_RATE), Coalesce("voice_rate", _NO_RATE), Coalesce("video_rate", _NO_RATE)
            )
        )

    def with_stats(self):
        """Annotate ``readings_completed``: readings that took place (one subquery, not one per card)."""
        Reading = apps.get_model("readings", "Reading")  # readings depends on accounts, not the reverse
        done = (
            Reading.objects.filter(reader=OuterRef("user"), status="ended", started_at__isnull=False)
            .order_by()
            .values("reader")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return self.annotate(readings_completed=Coalesce(Subquery(done, output_field=models.IntegerField()), 0))

    def typical_rates(self) -> dict[str, Decimal]:
        """The median listed rate per reading type ({"chat": 2.99, ...}), for "what your balance buys"."""
        typical = {}
        for kind, field in RATE_FIELDS.items():
            rates = sorted(self.listed().filter(**{f"{field}__isnull": False}).values_list(field, flat=True))
            if rates:
                typical[kind] = rates[len(rates) // 2]
        return typical

    def directory(self, *, q="", specialty=None, availability="", type="", max_price=None, sort=""):
        """The reader directory: filters compose, and the query count never depends on the row count."""
        qs = self.listed().with_lowest_rate().with_stats().prefetch_related("specialties")
        if q:
            by_specialty = ReaderProfile.specialties.through.objects.filter(specialty__name__icontains=q)
            qs = qs.filter(
                Q(display_name__icontains=q)
                | Q(tagline__icontains=q)
                | Q(pk__in=by_specialty.values("readerprofile_id"))
            )
        if specialty:
            qs = qs.filter(specialties=specialty)
        if availability:
            qs = qs.filter(availability=availability)
        price_field = RATE_FIELDS.get(type, "lowest")
        if type:
            qs = qs.filter(**{f"{price_field}__isnull": False})
        if max_price is not None:
            qs = qs.filter(**{f"{price_field}__lte": max_price})
        availability_rank = Case(When(availability="online", then=0), When(availability="busy", then=1), default=2)
        orderings = {
            "rating": ["-rating_average", "-review_count"],
            "price_low": [price_field],
            "price_high": [F(price_field).desc(nulls_last=True)],
        }
        order = orderings.get(sort, [availability_rank, "-rating_average", "-review_count"])
        return qs.order_by(*order, "display_name", "pk")


class ReaderProfile(models.Model):
    """A reader's public face: who they are, what they read, their per-minute rates."""

    class Availability(models.TextChoices):
        ONLINE = "online", "Online"
        BUSY = "busy", "In a reading"
        OFFLINE = "offline", "Offline"

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reader_profile")
    display_name = models.CharField(max_length=80)
    slug = models.SlugField(max_length=90, unique=True)
    tagline = models.CharField(max_length=140, blank=True)
    bio = models.TextField(blank=True)
    photo = models.ImageField(upload_to="readers/", blank=True, validators=[validate_photo])
    specialties = models.ManyToManyField(Specialty, blank=True, related_name="readers")
    years_experience = models.PositiveSmallIntegerField(default=0)
    # A null rate means the reader does not offer that reading type.
    chat_rate = models.DecimalField(
        "chat $/min", max_digits=5, decimal_places=2, null=True, blank=True, validators=rate_validators()
    )
    voice_rate = models.DecimalField(
        "voice $/min", max_digits=5, decimal_places=2, null=True, blank=True, validators=rate_validators()
    )
    video_rate = models.DecimalField(
        "video $/min", max_digits=5, decimal_places=2, null=True, blank=True, validators=rate_validators()
    )
    availability = models.CharField(
        max_length=10, choices=Availability.choices, default=Availability.OFFLINE, db_index=True
    )
    rating_average = models.DecimalField(max_digits=3, decimal_places=2, default=Decimal("0.00"))
    review_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ReaderQuerySet.as_manager()

    class Meta:
        ordering = ["display_name"]
        constraints = [
            models.CheckConstraint(condition=_rate_range("chat_rate"), name="reader_chat_rate_range"),
            models.CheckConstraint(condition=_rate_range("voice_rate"), name="reader_voice_rate_range"),
            models.CheckConstraint(condition=_rate_range("video_rate"), name="reader_video_rate_range"),
            models.CheckConstraint(
                condition=Q(rating_average__gte=0) & Q(rating_average__lte=5), name="reader_rating_range"
            ),
            models.CheckConstraint(
                condition=Q(availability__in=["online", "busy", "offline"]), name="reader_availability_valid"
            ),
        ]

    def __str__(self):
        return self.display_name

    def get_absolute_url(self):
        return reverse("reader_detail", args=[self.slug])

    def rate_for(self, reading_type: str) -> Decimal | None:
        return getattr(self, RATE_FIELDS[reading_type])

    @property
    def offered_rates(self) -> list[tuple[str, Decimal]]:
        """(type, rate) for each reading type this reader offers, in chat/voice/video order."""
        return [(kind, rate) for kind in RATE_FIELDS if (rate := self.rate_for(kind)) is not None]

    @property
    def lowest_rate(self) -> Decimal | None:
        rates = [rate for _, rate in self.offered_rates]
        return min(rates) if rates else None

    @property
    def is_online(self) -> bool:
        return self.availability == self.Availability.ONLINE

    @property
    def initials(self) -> str:
        return "".join(part[0] for part in self.display_name.split()[:2]).upper()

    @property
    def photo_srcset(self) -> str:
        """``srcset`` for the photo: its 64/128/256 px WebP thumbnails and the photo itself (<= 800 px)."""
        if not self.photo:
            return ""
        storage = self.photo.storage
        thumbs = [f"{storage.url(thumbnail_name(self.photo.name, s))} {s}w" for s in thumbnail_sizes()]
        return ", ".join([*thumbs, f"{self.photo.url} {PHOTO_MAX_SIDE}w"])


class ClientProfile(models.Model):
    """A client's preferences. Money lives in the ledger (``payments``), not here."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="client_profile")
    share_name = models.BooleanField(default=False, help_text="Show my first name to readers instead of 'Client #id'.")
    birth_date = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"Client profile of {self.user}"


class Favourite(models.Model):
    """A client keeps a reader: shown first on their dashboard, told when the reader comes online or goes live."""

    client = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="favourites")
    reader = models.ForeignKey(ReaderProfile, on_delete=models.CASCADE, related_name="favourited_by")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["client", "reader"], name="favourite_once_per_reader")]

    def __str__(self):
        return f"{self.client} ♥ {self.reader}"


class PageConnection(models.Model):
    """An open page of a signed-in person (their ``ws/notifications/`` socket), for presence.

    Fresh and not closed = the person is on the site. Readers' availability follows these rows
    (``readings.presence``), and the notification centre emails only people with none. A worker
    that dies stops beating, so its rows go stale instead of lying.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    channel_name = models.CharField(max_length=200, unique=True)
    seen_at = models.DateTimeField(db_index=True)
    closed = models.BooleanField(default=False)

    class Meta:
        indexes = [models.Index(fields=["user", "closed", "seen_at"], name="pageconn_user_open")]

    def __str__(self):
        return f"page of {self.user_id}"
