from django.conf import settings


def site(request):
    """Values every page needs: the brand name and whether payments are sandboxed."""
    return {
        "SITE_NAME": "SoulSeer",
        "PAYMENTS_SANDBOX": settings.PAYMENTS_SANDBOX,
    }
