import hashlib
import math
from decimal import Decimal

from django import template
from django.conf import settings
from django.core.cache import cache
from django.urls import reverse
from django.utils.safestring import mark_safe

from accounts.services import favourite_reader_ids
from payments import services as payments
from readings import services

register = template.Library()

CTA_LABELS = {"chat": "Chat now", "voice": "Call now", "video": "Video now"}


def _per_request(request, name: str, compute):
    """Compute a value once per request (a page of reader cards reads the balance once)."""
    cache = request.__dict__.setdefault("_soulseer_cta", {})
    if name not in cache:
        cache[name] = compute()
    return cache[name]


def topup_for(shortfall: Decimal) -> Decimal:
    """What one click adds: the smallest preset that covers the shortfall, else the shortfall in whole dollars."""
    for preset in sorted(settings.PAYMENTS_TOPUP_PRESETS):
        if preset >= shortfall:
            return preset
    return min(settings.PAYMENTS_TOPUP_MAX, max(settings.PAYMENTS_TOPUP_MIN, Decimal(math.ceil(shortfall))))


@register.inclusion_tag("readings/_cta.html", takes_context=True)
def reading_ctas(context, reader, suffix: str = "", compact: bool = False):
    """``{% reading_ctas reader %}``: per reading type, what this visitor can do with ``reader`` now.

    Every availability's variant is rendered (the live ``presence`` events show the right one), and
    for a client each type says whether their balance can start it, by the same rule
    ``request_reading`` applies (``readings.services.affordability``).
    """
    request = context["request"]
    user = request.user
    is_client = user.is_authenticated and user.is_client
    balance = _per_request(request, "balance", lambda: payments.balance(user)) if is_client else None
    favourites = _per_request(request, "favourites", lambda: favourite_reader_ids(user)) if is_client else set()
    options = []
    for kind, rate in reader.offered_rates:
        afford = services.affordability(user, reader, kind, balance=balance) if is_client else None
        options.append(
            {
                "kind": kind,
                "label": CTA_LABELS[kind],
                "rate": rate,
                "afford": afford,
                "topup": topup_for(afford.shortfall) if afford and not afford.ok else None,
            }
        )
    path = reader.get_absolute_url()
    return {
        "reader": reader,
        "options": options,
        "user": user,
        "is_client": is_client,
        "is_favourite": reader.pk in favourites,
        "signup_url": f"{reverse('account_signup')}?next={path}",
        "suffix": suffix,
        "compact": compact,
        "csrf_token": context.get("csrf_token"),
        "request": request,
    }


@register.inclusion_tag("accounts/fragment_favourite.html", takes_context=True)
def favourite_heart(context, reader):
    """``{% favourite_heart reader %}``: the heart on cards and profiles (a sign-up link for visitors)."""
    request = context["request"]
    user = request.user
    is_client = user.is_authenticated and user.is_client
    favourites = _per_request(request, "favourites", lambda: favourite_reader_ids(user)) if is_client else set()
    return {
        "reader": reader,
        "is_favourite": reader.pk in favourites,
        "user": user,
        "csrf_token": context.get("csrf_token"),
        "request": request,
    }


@register.filter
def minutes_seconds(seconds) -> str:
    """65 -> "1:05" (h:mm:ss past an hour)."""
    seconds = max(0, int(seconds or 0))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


# What a reader card shows: a change to any of these renders the card afresh.
CARD_FIELDS = (
    "display_name",
    "slug",
    "tagline",
    "availability",
    "rating_average",
    "review_count",
    "years_experience",
    "chat_rate",
    "voice_rate",
    "video_rate",
)


@register.simple_tag(takes_context=True)
def reader_card(context, reader, no_id: bool = False):
    """``{% reader_card reader %}``: a reader in a grid (``accounts/_reader_card.html``).

    For visitors the card is the same for everyone, so its HTML is cached per process, keyed by
    everything it shows (a new rating or availability is a new key; old ones expire). Signed-in
    people get their own buttons (favourite, what their balance can start) and a fresh render.
    """
    card = context.template.engine.get_template("accounts/_reader_card.html")
    request = context.get("request")
    user = getattr(request, "user", None)

    def render() -> str:
        with context.push(reader=reader, no_id=no_id):
            return card.render(context)

    if user is None or user.is_authenticated:
        return render()
    shown = (
        reader.pk,
        no_id,
        [getattr(reader, name) for name in CARD_FIELDS],
        reader.photo.name if reader.photo else "",
        getattr(reader, "readings_completed", None),
        [specialty.name for specialty in reader.specialties.all()],
    )
    key = "reader-card:" + hashlib.sha256(repr(shown).encode()).hexdigest()
    html = cache.get(key)
    if html is None:
        html = render()
        cache.set(key, html, settings.SOULSEER_CARD_CACHE_SECONDS)
    return mark_safe(html)  # noqa: S308 (our own template's output)
