"""Money: an append-only, double-entry ledger and the Stripe-facing records around it.

Every movement of money is one :class:`Movement` (one idempotency key, UNIQUE) with two or
more :class:`Entry` rows whose amounts sum to zero. An :class:`Account` keeps a cached
``balance`` that the services update in the same transaction, under a row lock, as they
write the entries; ``manage.py verify_ledger`` checks the two agree.

Nothing here writes money: ``payments.services`` is the only door to the ledger.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q

MONEY = {"max_digits": 12, "decimal_places": 2}
ZERO = Decimal("0.00")


class AppendOnlyError(RuntimeError):
    """Raised when code tries to change or delete a ledger row."""


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError(f"{self.model.__name__} rows are append-only.")

    def delete(self):
        raise AppendOnlyError(f"{self.model.__name__} rows are append-only.")


class AppendOnlyModel(models.Model):
    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError(f"{type(self).__name__} rows are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError(f"{type(self).__name__} rows are append-only.")


class Account(models.Model):
    """A ledger account. Per-person accounts have a ``user``; the platform's do not."""

    class Kind(models.TextChoices):
        WALLET = "wallet", "Client wallet"
        EARNINGS = "earnings", "Reader earnings"
        REVENUE = "revenue", "Platform revenue"
        EXTERNAL = "external", "Outside world (Stripe)"

    PERSONAL = (Kind.WALLET, Kind.EARNINGS)

    kind = models.CharField(max_length=10, choices=Kind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="ledger_accounts"
    )
    # Cached sum of this account's entries, written only by payments.services under select_for_update.
    # Personal accounts only: the platform's two accounts (revenue, outside world) take part in nearly
    # every movement, so caching their balance would make their rows a lock every charge in the system
    # waits for. Their balance is the sum of their entries (``payments.services.system_balance``).
    balance = models.DecimalField(**MONEY, null=True, blank=True, default=ZERO)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["wallet", "earnings", "revenue", "external"]), name="account_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["wallet", "earnings"], user__isnull=False)
                | Q(kind__in=["revenue", "external"], user__isnull=True),
                name="account_owner_matches_kind",
            ),
            models.UniqueConstraint(
                fields=["kind", "user"], condition=Q(user__isnull=False), name="account_one_per_user_kind"
            ),
            models.UniqueConstraint(fields=["kind"], condition=Q(user__isnull=True), name="account_one_system_kind"),
            models.CheckConstraint(
                condition=Q(kind__in=["wallet", "earnings"], balance__isnull=False)
                | Q(kind__in=["revenue", "external"], balance__isnull=True),
                name="account_balance_cached_for_personal_only",
            ),
            # A client's wallet never goes below zero, whatever runs concurrently.
            models.CheckConstraint(condition=~Q(kind="wallet") | Q(balance__gte=0), name="account_wallet_not_negative"),
        ]

    def __str__(self):
        if self.user_id:
            return f"{self.get_kind_display()} of {self.user}"
        return self.get_kind_display()


class Movement(AppendOnlyModel):
    """One money movement: one idempotency key, entries that sum to zero."""

    class Kind(models.TextChoices):
        TOPUP = "topup", "Top-up"
        AUTO_RELOAD = "auto_reload", "Auto-reload"
        CHARGE = "charge", "Charge"
        REFUND = "refund", "Refund"
        PAYOUT = "payout", "Payout"
        ADJUSTMENT = "adjustment", "Adjustment"

    key = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=12, choices=Kind.choices, db_index=True)
    amount = models.DecimalField(**MONEY)
    memo = models.CharField(max_length=255)
    reference = models.CharField(max_length=200, blank=True, db_index=True)
    client = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reader = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    refund_of = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="refunds")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="movement_amount_positive"),
            models.CheckConstraint(
                condition=Q(kind__in=["topup", "auto_reload", "charge", "refund", "payout", "adjustment"]),
                name="movement_kind_valid",
            ),
            models.CheckConstraint(
                condition=~Q(kind="refund") | Q(refund_of__isnull=False), name="movement_refund_has_original"
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} ${self.amount} ({self.key})"


class Entry(AppendOnlyModel):
    """One leg of a movement: a signed amount on one account (credit > 0, debit < 0)."""

    movement = models.ForeignKey(Movement, on_delete=models.PROTECT, related_name="entries")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="entries")
    amount = models.DecimalField(**MONEY)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = "entries"
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="entry_amount_not_zero"),
            models.UniqueConstraint(fields=["movement", "account"], name="entry_one_per_account"),
        ]

    def __str__(self):
        return f"{self.amount:+} {self.account}"


class StripeCustomer(models.Model):
    """The Stripe Customer that holds a client's saved card."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="stripe_customer")
    customer_id = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return self.customer_id


class TopUp(models.Model):
    """A checkout a client started, in Stripe or in the sandbox. Credited once, from the webhook."""

    class Status(models.TextChoices):
        OPEN = "open", "Waiting for payment"
        PAID = "paid", "Paid"
        EXPIRED = "expired", "Expired"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="topups")
    checkout_id = models.CharField(max_length=255, unique=True)
    sandbox = models.BooleanField(default=False)
    amount = models.DecimalField(**MONEY)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    movement = models.OneToOneField(Movement, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    return_to = models.CharField(
        max_length=200, blank=True, default="", help_text="A site path to go back to once paid (e.g. a shop order)."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="topup_amount_positive")]

    def __str__(self):
        return f"Top-up ${self.amount} for {self.user} ({self.status})"


class AutoReload(models.Model):
    """A client's auto-reload settings, saved card, and the state of the current low-balance dip."""

    class Status(models.TextChoices):
        NONE = "", "—"
        PENDING = "pending", "In progress"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="auto_reload")
    enabled = models.BooleanField(default=False)
    threshold = models.DecimalField(**MONEY)
    amount = models.DecimalField(**MONEY)
    payment_method_id = models.CharField(max_length=64, blank=True)
    card_brand = models.CharField(max_length=20, blank=True)
    card_last4 = models.CharField(max_length=4, blank=True)
    # True while the balance is at or above the threshold: the next dip below it may trigger one attempt.
    armed = models.BooleanField(default=True)
    last_status = models.CharField(max_length=10, choices=Status.choices, blank=True, default="")
    last_message = models.CharField(max_length=255, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="autoreload_amount_positive"),
            models.CheckConstraint(condition=Q(threshold__gte=0), name="autoreload_threshold_not_negative"),
        ]

    def __str__(self):
        return f"Auto-reload for {self.user}"

    @property
    def card_label(self) -> str:
        if self.card_last4:
            return f"{self.card_brand.title() or 'Card'} ending {self.card_last4}"
        return "Saved card" if self.payment_method_id else ""


class AutoReloadAttempt(models.Model):
    """One off-session charge attempted because the wallet dipped below the threshold."""

    class Status(models.TextChoices):
        PENDING = "pending", "In progress"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="auto_reload_attempts")
    amount = models.DecimalField(**MONEY)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    payment_intent_id = models.CharField(max_length=64, blank=True, db_index=True)
    failure_code = models.CharField(max_length=64, blank=True)
    message = models.CharField(max_length=255, blank=True)
    movement = models.OneToOneField(Movement, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="autoreloadattempt_amount_positive")]

    def __str__(self):
        return f"Auto-reload ${self.amount} for {self.user} ({self.status})"


class ConnectAccount(models.Model):
    """A reader's Stripe Connect Express account (or its sandbox stand-in)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="connect_account")
    stripe_account_id = models.CharField(max_length=64, unique=True)
    sandbox = models.BooleanField(default=False)
    details_submitted = models.BooleanField(default=False)
    charges_enabled = models.BooleanField(default=False)
    payouts_enabled = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"{self.stripe_account_id} ({self.user})"


class Payout(models.Model):
    """A transfer of a reader's earnings to their connected account.

    The ledger movement (earnings -> outside world) is written when the payout is decided;
    the Stripe transfer runs after commit and its outcome is recorded here. A failed transfer
    keeps its movement and is retried from our side (``pay_out_readers`` / the admin).
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Sending"
        PAID = "paid", "Paid"
        FAILED = "failed", "Failed, will retry"

    reader = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="payouts")
    amount = models.DecimalField(**MONEY)
    destination = models.CharField(max_length=64)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    stripe_transfer_id = models.CharField(max_length=64, blank=True)
    last_error = models.CharField(max_length=255, blank=True)
    movement = models.OneToOneField(Movement, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="payout_amount_positive")]

    def __str__(self):
        return f"Payout ${self.amount} to {self.reader} ({self.status})"

    @property
    def transfer_group(self) -> str:
        return f"payout:{self.pk}"


class StripeEvent(models.Model):
    """Each webhook event we accepted, once by id: a replayed delivery is a no-op."""

    event_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100, db_index=True)
    payload = models.JSONField()
    outcome = models.CharField(max_length=255, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-received_at"]

    def __str__(self):
        return f"{self.type} {self.event_id}"
