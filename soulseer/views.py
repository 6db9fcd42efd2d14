from django.http import Http404
from django.shortcuts import render

from accounts.models import ReaderProfile

POLICY_PAGES = {
    "terms": "Terms of Service",
    "privacy": "Privacy Policy",
    "refunds": "Refund Policy",
    "reader-agreement": "Reader Agreement",
    "help": "Help & FAQ",
}


def home(request):
    listed = ReaderProfile.objects.listed().with_stats().prefetch_related("specialties")
    context = {
        "online_readers": listed.filter(availability="online").order_by("-rating_average", "display_name")[:6],
        "top_readers": listed.order_by("-rating_average", "-review_count")[:3],
        "online_count": listed.filter(availability="online").count(),
    }
    return render(request, "home.html", context)


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
