"""The shop in figures for staff: sales, refunds, sales per seller, late services."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Count, Q, Sum

from shop.models import Order, OrderLine
from shop.services.fulfilment import overdue_services

ZERO = Decimal("0.00")


def sales_summary(top: int = 10) -> dict:
    """Totals over paid lines (refunded ones apart) and the best-selling sellers; a constant number of queries."""
    sold = OrderLine.objects.filter(order__status__in=[Order.Status.PAID, Order.Status.REFUNDED])
    refunded = Q(status=OrderLine.Status.REFUNDED)
    totals = sold.aggregate(
        gross=Sum("amount"),
        refunds=Sum("amount", filter=refunded),
        sellers=Sum("seller_share", filter=~refunded),
        platform=Sum("platform_share", filter=~refunded),
        orders=Count("order", distinct=True),
    )
    per_seller = (
        sold.exclude(refunded)
        .values("seller_id", "seller__email", "seller__reader_profile__display_name")
        .annotate(items=Sum("quantity"), sales=Sum("amount"), share=Sum("seller_share"))
        .order_by("-sales")[:top]
    )
    return {
        "gross": totals["gross"] or ZERO,
        "refunds": totals["refunds"] or ZERO,
        "to_sellers": totals["sellers"] or ZERO,
        "to_platform": totals["platform"] or ZERO,
        "orders": totals["orders"],
        "per_seller": list(per_seller),
        "late_services": overdue_services().count(),
    }
