"""Community settings with their defaults (the "# --- Community" block in settings.py)."""

from datetime import timedelta
from decimal import Decimal

from django.conf import settings

from community.models import MESSAGE_PRICE_MAX

DEFAULTS = {
    "COMMUNITY_THREADS_PER_PAGE": 20,
    "COMMUNITY_POSTS_PER_PAGE": 20,
    "COMMUNITY_EDIT_WINDOW_MINUTES": 15,
    "COMMUNITY_POSTS_PER_MINUTE": 5,
    "COMMUNITY_THREADS_PER_HOUR": 10,
    "COMMUNITY_FLAGS_TO_HIDE": 3,
    "COMMUNITY_MESSAGES_PER_MINUTE": 20,
    "COMMUNITY_MESSAGES_PER_PAGE": 50,
    "COMMUNITY_PAID_REPLY_MIN": Decimal("1.00"),
    "COMMUNITY_PAID_REPLY_MAX": MESSAGE_PRICE_MAX,
    "COMMUNITY_PAID_PREVIEW_CHARS": 60,
    "COMMUNITY_MESSAGE_EMAIL_EVERY_MINUTES": 60,
}

# Length limits of what people type (forms and services both check them).
TITLE_MIN, TITLE_MAX = 5, 140
POST_MIN, POST_MAX = 2, 10_000
MESSAGE_MAX = 5_000
SEARCH_MAX = 100


def get(name: str):
    return getattr(settings, name, DEFAULTS[name])


def paid_reply_bounds() -> tuple[Decimal, Decimal]:
    """(lowest, highest) price of a paid reply; the highest never passes the design's $100."""
    low = Decimal(str(get("COMMUNITY_PAID_REPLY_MIN")))
    high = min(Decimal(str(get("COMMUNITY_PAID_REPLY_MAX"))), MESSAGE_PRICE_MAX)
    return low, high


def edit_window() -> timedelta:
    return timedelta(minutes=get("COMMUNITY_EDIT_WINDOW_MINUTES"))


def message_email_every() -> timedelta:
    return timedelta(minutes=get("COMMUNITY_MESSAGE_EMAIL_EVERY_MINUTES"))
