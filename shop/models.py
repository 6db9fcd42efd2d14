"""The shop: products of three kinds, orders paid from the wallet, and what happens after the sale.

Money never lives here: an order's payment and its refunds are ledger movements
(``payments.services.purchases``); the order and its lines keep the amounts they were sold for so
the split of each line and its reversal are exact. Stock lives on the product row and is only
changed under that row's lock (``shop.services.orders``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.text import slugify


class Category(models.Model):
    name = models.CharField(max_length=60, unique=True)
    slug = models.SlugField(max_length=60, unique=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name


class ProductQuerySet(models.QuerySet):
    def listed(self) -> ProductQuerySet:
        """What the catalog shows: published, and for readers' products a seller still in good standing."""
        return self.filter(status=Product.Status.PUBLISHED).filter(Q(seller__isnull=True) | Q(seller__is_active=True))


class Product(models.Model):
    class Kind(models.TextChoices):
        SERVICE = "service", "Service"
        DIGITAL = "digital", "Digital download"
        PHYSICAL = "physical", "Physical product"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PENDING = "pending", "Awaiting approval"
        PUBLISHED = "published", "Published"
        REMOVED = "removed", "Unpublished by staff"

    seller = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="products",
        help_text="The reader selling it; empty for the platform's own products (the platform keeps all).",
    )
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="products")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    title = models.CharField(max_length=120)
    description = models.TextField(max_length=5000)
    price = models.DecimalField(max_digits=10, decimal_places=2)
    stock = models.PositiveIntegerField(null=True, blank=True, help_text="Physical products only.")
    delivery_days = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Services only: days within which the seller delivers."
    )
    file = models.CharField(max_length=255, blank=True, default="", help_text="Private file (digital goods).")
    file_name = models.CharField(max_length=200, blank=True, default="")
    file_size = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    status_note = models.CharField(
        max_length=255, blank=True, default="", help_text="Staff's reason, shown to the seller."
    )
    rating_sum = models.PositiveIntegerField(default=0)
    rating_count = models.PositiveIntegerField(default=0)
    sold_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ProductQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "category", "price"]), models.Index(fields=["seller", "status"])]
        constraints = [
            models.CheckConstraint(condition=Q(price__gte=1) & Q(price__lte=1000), name="product_price_in_range"),
            models.CheckConstraint(
                condition=Q(kind="physical", stock__isnull=False) | (~Q(kind="physical") & Q(stock__isnull=True)),
                name="product_stock_only_physical",
            ),
            models.CheckConstraint(
                condition=Q(kind="service", delivery_days__gte=1)
                | (~Q(kind="service") & Q(delivery_days__isnull=True)),
                name="product_delivery_days_only_services",
            ),
            models.CheckConstraint(condition=Q(kind__in=["service", "digital", "physical"]), name="product_kind_valid"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("shop:product", kwargs={"pk": self.pk, "slug": self.slug})

    @property
    def slug(self) -> str:
        return slugify(self.title)[:60] or "product"

    @property
    def rating(self) -> float | None:
        return round(self.rating_sum / self.rating_count, 1) if self.rating_count else None

    @property
    def in_stock(self) -> bool:
        return self.kind != self.Kind.PHYSICAL or (self.stock or 0) > 0

    @property
    def is_listed(self) -> bool:
        return self.status == self.Status.PUBLISHED and (self.seller_id is None or self.seller.is_active)


class ProductPhoto(models.Model):
    """A re-encoded photo of a product (``accounts.images``), with thumbnails beside it."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField(upload_to="shop/")
    position = models.PositiveSmallIntegerField(default=0)
    alt = models.CharField(max_length=120, blank=True, default="")

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return f"Photo {self.position} of {self.product_id}"


class Order(models.Model):
    class Status(models.TextChoices):
        AWAITING_PAYMENT = "awaiting", "Awaiting payment"
        PAID = "paid", "Paid"
        CANCELLED = "cancelled", "Cancelled"
        REFUNDED = "refunded", "Refunded"

    ADDRESS_FIELDS = (
        "ship_name",
        "ship_line1",
        "ship_line2",
        "ship_city",
        "ship_region",
        "ship_postal_code",
        "ship_country",
    )

    buyer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="orders")
    key = models.CharField(max_length=64, unique=True, help_text="The checkout form's one-time token.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.AWAITING_PAYMENT, db_index=True)
    total = models.DecimalField(max_digits=10, decimal_places=2)
    movement = models.OneToOneField(
        "payments.Movement", null=True, blank=True, on_delete=models.PROTECT, related_name="order"
    )
    topup = models.OneToOneField(
        "payments.TopUp", null=True, blank=True, on_delete=models.SET_NULL, related_name="order"
    )
    cancel_reason = models.CharField(max_length=255, blank=True, default="")
    ship_name = models.CharField("name", max_length=100, blank=True, default="")
    ship_line1 = models.CharField("address", max_length=200, blank=True, default="")
    ship_line2 = models.CharField("address line 2", max_length=200, blank=True, default="")
    ship_city = models.CharField("city", max_length=100, blank=True, default="")
    ship_region = models.CharField("state or region", max_length=100, blank=True, default="")
    ship_postal_code = models.CharField("postal code", max_length=20, blank=True, default="")
    ship_country = models.CharField("country", max_length=2, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(total__gt=0), name="order_total_positive"),
            models.CheckConstraint(
                condition=~Q(status__in=["paid", "refunded"]) | Q(movement__isnull=False),
                name="order_paid_has_movement",
            ),
        ]

    def __str__(self) -> str:
        return f"Order #{self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("shop:order", kwargs={"pk": self.pk})

    @property
    def needs_shipping(self) -> bool:
        return any(line.kind == Product.Kind.PHYSICAL for line in self.lines.all())

    @property
    def shipping_address(self) -> str:
        parts = [
            self.ship_name,
            self.ship_line1,
            self.ship_line2,
            self.ship_city,
            self.ship_region,
            self.ship_postal_code,
        ]
        return ", ".join(p for p in [*parts, self.ship_country] if p)


class OrderLine(models.Model):
    """One product in an order, with the price and split it was sold for."""

    class Status(models.TextChoices):
        OPEN = "open", "Awaiting the seller"  # services to deliver, physical goods to ship
        AVAILABLE = "available", "Ready to download"
        SHIPPED = "shipped", "Shipped"
        DELIVERED = "delivered", "Delivered"
        REFUNDED = "refunded", "Refunded"

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="order_lines")
    seller = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="sales"
    )
    kind = models.CharField(max_length=10, choices=Product.Kind.choices)
    title = models.CharField(max_length=120)
    unit_price = models.DecimalField(max_digits=10, decimal_places=2)
    quantity = models.PositiveSmallIntegerField(default=1)
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    seller_share = models.DecimalField(max_digits=10, decimal_places=2)
    platform_share = models.DecimalField(max_digits=10, decimal_places=2)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN, db_index=True)
    due_at = models.DateTimeField(null=True, blank=True, help_text="Services: the promised delivery time.")
    carrier = models.CharField(max_length=60, blank=True, default="")
    tracking_number = models.CharField(max_length=60, blank=True, default="")
    shipped_at = models.DateTimeField(null=True, blank=True)
    delivery_message = models.TextField(max_length=5000, blank=True, default="")
    delivery_file = models.CharField(max_length=255, blank=True, default="")
    delivery_file_name = models.CharField(max_length=200, blank=True, default="")
    delivered_at = models.DateTimeField(null=True, blank=True)
    downloads = models.PositiveIntegerField(default=0)
    refund = models.OneToOneField(
        "payments.Movement", null=True, blank=True, on_delete=models.PROTECT, related_name="refunded_line"
    )
    refund_reason = models.CharField(max_length=255, blank=True, default="")

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="order_line_quantity_positive"),
            models.CheckConstraint(condition=Q(kind="physical") | Q(quantity=1), name="order_line_one_unless_physical"),
            models.CheckConstraint(
                condition=Q(amount=models.F("seller_share") + models.F("platform_share")),
                name="order_line_shares_add_up",
            ),
            models.CheckConstraint(condition=~Q(status="refunded") | Q(refund__isnull=False), name="order_line_refund"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.title} (order #{self.order_id})"


class ProductReview(models.Model):
    """A buyer's review of something they bought: one per order line."""

    line = models.OneToOneField(OrderLine, on_delete=models.CASCADE, related_name="review")
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="reviews")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="product_reviews")
    rating = models.PositiveSmallIntegerField()
    text = models.TextField(max_length=2000, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(rating__gte=1) & Q(rating__lte=5), name="product_review_rating_range")
        ]

    def __str__(self) -> str:
        return f"{self.rating}★ for {self.product_id} by {self.author_id}"
