"""Staff views of orders (the admin): orders with their lines, refunds per line or whole order,
and the one-click refund of services not delivered in time. Registered from shop/admin.py."""

from __future__ import annotations

from django.contrib import admin, messages

from shop.admin_actions import with_reason
from shop.models import Order, OrderLine, ProductReview
from shop.services import fulfilment, refunds
from soulseer.admin_base import WrittenByServicesAdmin

LATE_REASON = "The service was not delivered by the promised time."


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    extra = 0
    can_delete = False
    fields = ["title", "kind", "seller", "quantity", "amount", "seller_share", "platform_share", "status", "due_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


REFUND_EXPLAIN = (
    "The buyer's wallet gets each item's amount back; the seller's and the platform's shares of each item "
    "are reversed exactly; stock of physical items is restored."
)


@admin.register(Order)
class OrderAdmin(WrittenByServicesAdmin):
    list_display = ["__str__", "created_at", "buyer", "status", "total", "paid_at"]
    list_filter = ["status", "created_at"]
    search_fields = ["=id", "buyer__email", "lines__title", "key"]
    list_select_related = ["buyer"]
    date_hierarchy = "created_at"
    inlines = [OrderLineInline]
    actions = ["refund_orders"]
    readonly_fields = [f.name for f in Order._meta.fields]

    @admin.action(description="Refund the selected orders in full (asks for a reason)")
    def refund_orders(self, request, queryset):
        return with_reason(
            self,
            request,
            queryset,
            action="refund_orders",
            title="Refund orders in full",
            explain=REFUND_EXPLAIN,
            button="Refund",
            run=lambda order, reason: refunds.refund_order(request.user, order.pk, reason=reason),
            done="Refunded {n} order(s) to the buyers' wallets.",
        )


class OverdueFilter(admin.SimpleListFilter):
    title = "delivery"
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("yes", "Service past its promised time")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(pk__in=fulfilment.overdue_services().values("pk"))
        return queryset


@admin.register(OrderLine)
class OrderLineAdmin(WrittenByServicesAdmin):
    """Sales line by line: per-seller figures (filter by seller) and refunds of single items."""

    list_display = ["__str__", "seller", "kind", "status", "amount", "seller_share", "platform_share", "due_at"]
    list_filter = [OverdueFilter, "status", "kind", ("seller", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["title", "order__buyer__email", "seller__email", "=order__id"]
    list_select_related = ["order", "seller"]
    actions = ["refund_lines", "refund_overdue"]
    readonly_fields = [f.name for f in OrderLine._meta.fields]

    @admin.action(description="Refund the selected items (asks for a reason)")
    def refund_lines(self, request, queryset):
        return with_reason(
            self,
            request,
            queryset,
            action="refund_lines",
            title="Refund items",
            explain=REFUND_EXPLAIN,
            button="Refund",
            run=lambda line, reason: refunds.refund_line(request.user, line.pk, reason=reason),
            done="Refunded {n} item(s) to the buyers' wallets.",
        )

    @admin.action(description="Refund the selected late services now (one click)")
    def refund_overdue(self, request, queryset):
        late = list(queryset.filter(pk__in=fulfilment.overdue_services().values("pk")).values_list("pk", flat=True))
        for pk in late:
            refunds.refund_line(request.user, pk, reason=LATE_REASON)
        self.message_user(request, f"Refunded {len(late)} late service(s) to the buyers' wallets.", messages.SUCCESS)
        if skipped := queryset.count() - len(late):
            self.message_user(
                request, f"{skipped} selected item(s) were not late services: left alone.", messages.WARNING
            )


@admin.register(ProductReview)
class ProductReviewAdmin(admin.ModelAdmin):
    list_display = ["product", "author", "rating", "created_at"]
    list_filter = ["rating"]
    search_fields = ["product__title", "author__email", "text"]
    list_select_related = ["product", "author"]
