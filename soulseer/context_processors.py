from django.conf import settings


def site(request):
    """Values every page needs: the brand name, whether payments are sandboxed, the cart's size."""
    return {
        "SITE_NAME": "SoulSeer",
        "PAYMENTS_SANDBOX": settings.PAYMENTS_SANDBOX,
        "cart_count": _cart_count(request),
    }


def _cart_count(request) -> int:
    # Only read the session when there is one: a visitor's first page stays free of sessions.
    if settings.SESSION_COOKIE_NAME not in request.COOKIES or not hasattr(request, "session"):
        return 0
    from shop.services.cart import count

    return count(request.session)
