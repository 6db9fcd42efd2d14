from decimal import Decimal

from django import template

register = template.Library()


@register.filter
def signed_usd(amount: Decimal) -> str:
    """+$1.40 / −$2.00 for a ledger entry."""
    return f"+${amount}" if amount > 0 else f"−${-amount}"


@register.simple_tag
def wallet_balance(user) -> Decimal:
    """A client's balance for pages outside payments (dashboard, header); accounts never imports payments."""
    from payments.services import balance

    return balance(user)
