"""Community data: the notification centre (every app tells people things through it), the forum,
moderation (flags, sanctions, the audit trail) and private messages with paid replies."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone


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


# --- Forum ------------------------------------------------------------------------------------


class Category(models.Model):
    """A forum section. The five of the design are made by a data migration; ``staff_only`` ones take
    threads and replies from staff only (Announcements)."""

    name = models.CharField(max_length=60, unique=True)
    slug = models.SlugField(max_length=60, unique=True)
    description = models.CharField(max_length=200, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    staff_only = models.BooleanField(default=False, help_text="Only staff start threads and reply here.")

    class Meta:
        ordering = ["position", "name"]
        verbose_name_plural = "categories"

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("community:category", args=[self.slug])


class Visibility(models.TextChoices):
    VISIBLE = "visible", "Visible"
    HIDDEN = "hidden", "Hidden pending review"
    DELETED = "deleted", "Removed by a moderator"


class Thread(models.Model):
    """A topic in a category. Its opening post is a :class:`Post` with ``is_opening``; the thread's
    ``status`` follows that post's (hiding the opening post hides the thread from the lists)."""

    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="threads")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="forum_threads")
    title = models.CharField(max_length=140)
    created_at = models.DateTimeField(default=timezone.now)
    last_activity_at = models.DateTimeField(default=timezone.now)
    last_author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reply_count = models.PositiveIntegerField(default=0)
    pinned = models.BooleanField(default=False)
    locked = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=Visibility.choices, default=Visibility.VISIBLE)

    class Meta:
        ordering = ["-pinned", "-last_activity_at", "-pk"]
        indexes = [
            models.Index(fields=["category", "status", "-pinned", "-last_activity_at"], name="thread_listing"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["visible", "hidden", "deleted"]), name="thread_status_valid"
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("community:thread", args=[self.pk])


class Post(models.Model):
    """One message in a thread: plain text, rendered escaped with line breaks and links (never HTML)."""

    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="posts")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="forum_posts")
    body = models.TextField()
    is_opening = models.BooleanField(default=False)
    quote_of = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    edited_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Visibility.choices, default=Visibility.VISIBLE)
    # Pending (unreviewed) flags from distinct members; enough of them hide the post until staff review it.
    flag_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(fields=["thread", "created_at"], name="post_in_thread"),
            models.Index(fields=["author", "created_at"], name="post_by_author"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=["visible", "hidden", "deleted"]), name="post_status_valid"),
            models.UniqueConstraint(
                fields=["thread"], condition=Q(is_opening=True), name="post_one_opening_per_thread"
            ),
        ]

    def __str__(self):
        return f"Post {self.pk} in {self.thread_id}"

    def get_absolute_url(self):
        return reverse("community:post", args=[self.pk])

    @property
    def is_visible(self) -> bool:
        return self.status == Visibility.VISIBLE


class Flag(models.Model):
    """A member reports a post, once per post. Open flags (``resolved_at`` null) wait for review."""

    class Reason(models.TextChoices):
        SPAM = "spam", "Spam or advertising"
        ABUSE = "abuse", "Abusive or hateful"
        HARASSMENT = "harassment", "Harassment of a member"
        SCAM = "scam", "Scam or asking for money off the site"
        OFF_TOPIC = "off_topic", "Off topic"
        OTHER = "other", "Something else"

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="flags")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=12, choices=Reason.choices)
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["post", "member"], name="flag_once_per_member"),
            models.CheckConstraint(
                condition=Q(reason__in=["spam", "abuse", "harassment", "scam", "off_topic", "other"]),
                name="flag_reason_valid",
            ),
        ]
        indexes = [models.Index(fields=["resolved_at", "post"], name="flag_open")]

    def __str__(self):
        return f"{self.get_reason_display()} on post {self.post_id}"


class Sanction(models.Model):
    """A member suspended from posting and messaging until ``ends_at``, or banned (no end)."""

    class Kind(models.TextChoices):
        SUSPENSION = "suspension", "Suspension"
        BAN = "ban", "Ban"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sanctions")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    reason = models.CharField(max_length=300)
    starts_at = models.DateTimeField(default=timezone.now)
    ends_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-starts_at", "-pk"]
        indexes = [models.Index(fields=["user", "lifted_at", "ends_at"], name="sanction_active")]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=["suspension", "ban"]), name="sanction_kind_valid"),
            models.CheckConstraint(
                condition=Q(kind="ban", ends_at__isnull=True)
                | Q(kind="suspension", ends_at__isnull=False, ends_at__gt=F("starts_at")),
                name="sanction_end_matches_kind",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} of {self.user_id}"


class ModerationAction(models.Model):
    """The audit trail: who did what to whom, and why. Written only by ``community.services.moderation``."""

    class Action(models.TextChoices):
        AUTO_HIDE = "auto_hide", "Hidden by flags"
        HIDE = "hide", "Hidden"
        RESTORE = "restore", "Restored"
        DELETE = "delete", "Deleted"
        WARN = "warn", "Warned"
        SUSPEND = "suspend", "Suspended"
        BAN = "ban", "Banned"
        LIFT = "lift", "Sanction lifted"
        LOCK = "lock", "Thread locked"
        UNLOCK = "unlock", "Thread unlocked"
        PIN = "pin", "Thread pinned"
        UNPIN = "unpin", "Thread unpinned"

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Empty when the system acted (enough flags).",
    )
    action = models.CharField(max_length=10, choices=Action.choices)
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    post = models.ForeignKey(Post, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    thread = models.ForeignKey(Thread, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    reason = models.CharField(max_length=300, blank=True)
    until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.get_action_display()} by {self.actor_id or 'system'}"


# --- Private messages ---------------------------------------------------------------------------

MESSAGE_PRICE_MAX = Decimal("100.00")  # the design's rule; the DB refuses more


class Conversation(models.Model):
    """Private messages between one client and one reader (one conversation per pair)."""

    client = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="conversations_as_client"
    )
    reader = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="conversations_as_reader"
    )
    created_at = models.DateTimeField(default=timezone.now)
    last_message_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-last_message_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["client", "reader"], name="conversation_once_per_pair"),
            models.CheckConstraint(condition=~Q(client=F("reader")), name="conversation_not_self"),
        ]

    def __str__(self):
        return f"Conversation {self.pk}"

    def get_absolute_url(self):
        return reverse("messages:conversation", args=[self.pk])

    def other(self, user):
        return self.reader if user.pk == self.client_id else self.client

    def has(self, user) -> bool:
        return getattr(user, "pk", None) in (self.client_id, self.reader_id)


class Message(models.Model):
    """One private message. A reader's reply may carry a ``price``: the client sees a preview line
    and opens it with one payment (``payments.services.charge``, key ``message:<id>``)."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    sender = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    # Paid replies: price set by the reader; the preview is ``teaser`` (written by the reader) or,
    # when blank, the start of the body (COMMUNITY_PAID_PREVIEW_CHARS).
    price = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    teaser = models.CharField(max_length=140, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    movement = models.OneToOneField(
        "payments.Movement", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    refunded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(fields=["conversation", "created_at"], name="message_in_conversation"),
            models.Index(fields=["recipient", "read_at"], name="message_unread"),
            models.Index(fields=["sender", "created_at"], name="message_by_sender"),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(sender=F("recipient")), name="message_not_self"),
            models.CheckConstraint(
                condition=Q(price__isnull=True) | Q(price__gt=0, price__lte=MESSAGE_PRICE_MAX),
                name="message_price_range",
            ),
            models.CheckConstraint(
                condition=Q(paid_at__isnull=True) | Q(price__isnull=False, movement__isnull=False),
                name="message_paid_has_price_and_movement",
            ),
            models.CheckConstraint(
                condition=Q(refunded_at__isnull=True) | Q(paid_at__isnull=False), name="message_refund_after_paid"
            ),
        ]

    def __str__(self):
        return f"Message {self.pk}"

    @property
    def is_paid_reply(self) -> bool:
        return self.price is not None

    @property
    def is_locked(self) -> bool:
        """A paid reply the client has not opened yet: its body is shown to nobody but the reader."""
        return self.price is not None and self.paid_at is None

    def visible_to(self, user) -> bool:
        """Whether ``user`` may read the body."""
        return not self.is_locked or user.pk == self.sender_id


class Block(models.Model):
    """``blocker`` no longer receives messages from ``blocked``."""

    blocker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="blocks_made")
    blocked = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["blocker", "blocked"], name="block_once"),
            models.CheckConstraint(condition=~Q(blocker=F("blocked")), name="block_not_self"),
        ]

    def __str__(self):
        return f"{self.blocker_id} blocks {self.blocked_id}"
