"""The shop's section of the staff money page (payments/money_overview.html)."""

from django import template

from shop.services.reports import sales_summary

register = template.Library()


@register.inclusion_tag("shop/_staff_summary.html")
def shop_sales_summary() -> dict:
    return {"shop": sales_summary()}
