from django import template

from readings.models import Review

register = template.Library()


@register.inclusion_tag("readings/fragment_reviews.html")
def reader_reviews(reader, limit: int = 10):
    """``{% reader_reviews reader %}`` on a reader's profile (``reader`` is the ReaderProfile)."""
    reviews = (
        Review.objects.filter(reader_id=reader.user_id)
        .select_related("client", "client__client_profile", "reading")
        .order_by("-created_at")[:limit]
    )
    return {"reviews": list(reviews)}


@register.filter
def minutes_seconds(seconds) -> str:
    """65 -> "1:05" (h:mm:ss past an hour)."""
    seconds = max(0, int(seconds or 0))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
