"""Shapes of identifiers that come from outside (URLs, query strings, Stripe events).

Checked before any query: on PostgreSQL a NUL byte in a query parameter raises ``DataError``
(a 500), and nothing else we store looks like anything but these shapes.
"""

import re

# Stripe object ids (cs_test_..., evt_..., pi_...) and the sandbox's sbx_<hex>: letters, digits, "_".
STRIPE_ID_PATTERN = r"[A-Za-z0-9_]{1,255}"
_STRIPE_ID = re.compile(STRIPE_ID_PATTERN)
# Event types: "checkout.session.completed", "v2.core.event_destination.ping"...
_EVENT_TYPE = re.compile(r"[a-z0-9_.]{1,255}")


def is_stripe_id(value) -> bool:
    return isinstance(value, str) and _STRIPE_ID.fullmatch(value) is not None


def is_event_type(value) -> bool:
    return isinstance(value, str) and _EVENT_TYPE.fullmatch(value) is not None


def is_event(event) -> bool:
    """A verified Stripe event has an id, a type and ``data.object``; anything else is refused (400)."""
    return (
        isinstance(event, dict)
        and is_stripe_id(event.get("id"))
        and is_event_type(event.get("type"))
        and isinstance(event.get("data"), dict)
        and isinstance(event["data"].get("object"), dict)
    )


class StripeIdConverter:
    """URL converter: a Stripe-style id, so a malformed one is a 404 before the view runs."""

    regex = STRIPE_ID_PATTERN

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value
