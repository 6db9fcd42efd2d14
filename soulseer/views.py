from django.conf import settings
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from accounts.models import ReaderProfile
from soulseer.listing_cache import remembered

POLICY_PAGES = {
    "terms": "Terms of Service",
    "privacy": "Privacy Policy",
    "refunds": "Refund Policy",
    "reader-agreement": "Reader Agreement",
    "help": "Help & FAQ",
}


def home(request):
    def build():
        listed = ReaderProfile.objects.listed().with_stats().prefetch_related("specialties")
        return {
            "online_readers": list(
                listed.filter(availability="online").order_by("-rating_average", "display_name")[:6]
            ),
            "top_readers": list(listed.order_by("-rating_average", "-review_count")[:3]),
            "online_count": listed.filter(availability="online").count(),
        }

    context = {
        **remembered("home", (), build),
        "visitor_cache_seconds": 0 if request.user.is_authenticated else settings.SOULSEER_LISTING_CACHE_SECONDS,
    }
    return render(request, "home.html", context)


@require_GET
@cache_control(max_age=86400, public=True)
def robots_txt(request):
    """Crawlers may index the public pages, not the private ones (also the pages benchmark's bare view)."""
    lines = [
        "User-agent: *",
        "Disallow: /django-admin/",
        "Disallow: /dashboard/",
        "Disallow: /wallet/",
        "Disallow: /messages/",
        "Disallow: /readings/",
        "Disallow: /notifications/",
        "Disallow: /accounts/",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain")


def policy_page(request, page):
    if page not in POLICY_PAGES:
        raise Http404("No such page.")
    return render(request, f"policies/{page}.html", {"title": POLICY_PAGES[page], "pages": POLICY_PAGES})


def _error(request, template, status, message=""):
    return render(request, template, {"message": message}, status=status)


def permission_denied(request, exception=None):
    return _error(request, "errors/403.html", 403, str(exception or ""))


def page_not_found(request, exception=None):
    return _error(request, "errors/404.html", 404)


def server_error(request):
    # No request context processors can be trusted here; render the static page.
    return render(request, "errors/500.html", status=500)
