"""A reader's public reviews: the paginated list (newest first) and the star histogram."""

from django.core.paginator import Page, Paginator
from django.db.models import Count

from accounts.models import ReaderProfile
from readings.models import Review

REVIEWS_PAGE_SIZE = 8


def reviews_of(reader: ReaderProfile):
    return (
        Review.objects.filter(reader_id=reader.user_id)
        .select_related("client", "client__client_profile", "reading")
        .order_by("-created_at", "-pk")
    )


def histogram(reader: ReaderProfile) -> list[dict]:
    """[{stars: 5, count: n, percent: p}, … down to 1 star], from the stored reviews (one query)."""
    counts = dict(
        Review.objects.filter(reader_id=reader.user_id)
        .values_list("rating")
        .annotate(n=Count("pk"))
        .values_list("rating", "n")
    )
    total = sum(counts.values())
    return [
        {
            "stars": stars,
            "count": counts.get(stars, 0),
            "percent": round(100 * counts.get(stars, 0) / total) if total else 0,
        }
        for stars in range(5, 0, -1)
    ]


def reader_reviews(reader: ReaderProfile, page_number=None) -> dict:
    page: Page = Paginator(reviews_of(reader), REVIEWS_PAGE_SIZE).get_page(page_number)
    return {"reviews_page": page, "histogram": histogram(reader)}
