from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Page, Paginator
from django.db.models import Case, When
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from accounts import services
from accounts.forms import AvailabilityForm, ClientSettingsForm, DirectoryFilterForm, ReaderProfileForm
from accounts.guards import admin_required, client_required, reader_required
from accounts.models import ReaderProfile, User
from readings.forms import ReviewReplyForm
from readings.reviews import reader_reviews, reviews_of
from shop.services.catalog import seller_products
from soulseer.listing_cache import remembered


@vary_on_headers("HX-Request")
def reader_directory(request):
    form = DirectoryFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    filters = {k: v for k, v in filters.items() if v not in (None, "")}

    def build_page() -> dict:
        readers = ReaderProfile.objects.directory(**filters)
        page = Paginator(readers, settings.SOULSEER_DIRECTORY_PAGE_SIZE).get_page(request.GET.get("page"))
        return {"readers": list(page.object_list), "number": page.number, "count": page.paginator.count}

    found = remembered("directory", (sorted(filters.items()), request.GET.get("page")), build_page)
    paginator = Paginator(range(found["count"]), settings.SOULSEER_DIRECTORY_PAGE_SIZE)
    page = Page(found["readers"], found["number"], paginator)  # this page's readers; the count for the links
    query = request.GET.copy()
    query.pop("page", None)
    page_numbers = page.paginator.get_elided_page_range(page.number, on_each_side=1, on_ends=1)
    context = {
        "form": form,
        "page": page,
        "page_numbers": page_numbers,
        "query": query.urlencode(),
        "listing_cache_seconds": settings.SOULSEER_LISTING_CACHE_SECONDS,
        "visitor_cache_seconds": 0 if request.user.is_authenticated else settings.SOULSEER_LISTING_CACHE_SECONDS,
    }
    if request.htmx and not request.htmx.boosted and not request.htmx.history_restore_request:
        return render(request, "accounts/fragment_reader_results.html", context)
    return render(request, "accounts/reader_directory.html", context)


def reader_detail(request, slug):
    reader = get_object_or_404(ReaderProfile.objects.listed().with_stats().prefetch_related("specialties"), slug=slug)
    reviews = reader_reviews(reader, request.GET.get("reviews"))
    if request.htmx and request.htmx.target == "review-list":
        return render(request, "readings/fragment_reviews.html", {"reader": reader, **reviews})
    products = seller_products(reader.user_id, limit=4)  # a few cards, in a constant number of queries
    return render(request, "accounts/reader_detail.html", {"reader": reader, "products": products, **reviews})


@login_required
def dashboard(request):
    """One 'my dashboard' link for everyone; each role lands on its own page."""
    destinations = {User.Role.READER: "reader_dashboard", User.Role.ADMIN: "staff_dashboard"}
    return redirect(destinations.get(request.user.role, "client_dashboard"))


@client_required
def client_dashboard(request):
    listed = ReaderProfile.objects.listed().with_stats().prefetch_related("specialties")
    favourites = listed.filter(favourited_by__client=request.user).order_by(
        Case(When(availability="online", then=0), When(availability="busy", then=1), default=2), "display_name"
    )
    online = listed.filter(availability="online").exclude(pk__in=[f.pk for f in favourites])
    online = online.order_by("-rating_average", "display_name")[:6]
    return render(request, "accounts/client_dashboard.html", {"online_readers": online, "favourites": favourites})


@client_required
def client_settings(request):
    """The client's own settings: their first name and whether readers see it."""
    user = request.user
    profile = getattr(user, "client_profile", None)
    if request.method == "POST":
        form = ClientSettingsForm(request.POST, user=user)
        if form.is_valid():
            services.set_name_sharing(user, form.cleaned_data["first_name"], form.cleaned_data["share_name"])
            messages.success(request, "Your settings are saved.")
            return redirect("client_settings")
    else:
        initial = {"first_name": user.first_name, "share_name": bool(profile and profile.share_name)}
        form = ClientSettingsForm(initial=initial, user=user)
    return render(request, "accounts/client_settings.html", {"form": form})


@client_required
@require_POST
def favourite(request, slug):
    """Keep or drop a favourite reader (the heart). HTMX swaps the heart; without JS, back to the page."""
    reader = get_object_or_404(ReaderProfile.objects.listed(), slug=slug)
    if request.POST.get("action") == "remove":
        services.remove_favourite(request.user, reader)
        kept = False
    else:
        services.add_favourite(request.user, reader)
        kept = True
    if request.htmx:
        return render(request, "accounts/fragment_favourite.html", {"reader": reader, "is_favourite": kept})
    messages.success(
        request,
        f"{reader.display_name} is in your favourites: we will tell you when they come online."
        if kept
        else f"{reader.display_name} is no longer a favourite.",
    )
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = reader.get_absolute_url()
    return redirect(target)


@reader_required
def reader_dashboard(request):
    profile = request.user.reader_profile
    if request.method == "POST":
        form = ReaderProfileForm(request.POST, request.FILES, instance=profile)
        if form.is_valid():
            form.save()
            messages.success(request, "Your profile is saved.")
            return redirect("reader_dashboard")
        messages.error(request, "Please correct the highlighted fields; nothing was saved.")
    else:
        form = ReaderProfileForm(instance=profile)
    return render(
        request,
        "accounts/reader_dashboard.html",
        {
            "profile": profile,
            "form": form,
            "availability_form": AvailabilityForm(initial={"availability": profile.availability}),
            "to_answer": reviews_of(profile).filter(replied_at__isnull=True)[:5],
            "reply_form": ReviewReplyForm(),
        },
    )


@reader_required
@require_POST
def reader_availability(request):
    profile = request.user.reader_profile
    form = AvailabilityForm(request.POST)
    if form.is_valid():
        services.set_availability(profile, form.cleaned_data["availability"])
    elif request.htmx:
        return render(
            request,
            "accounts/fragment_availability.html",
            {"profile": profile, "error": "Choose online or offline."},
            status=400,
        )
    if request.htmx:
        return render(request, "accounts/fragment_availability.html", {"profile": profile})
    if form.is_valid():
        messages.success(request, f"You are now {profile.get_availability_display().lower()}.")
    else:
        messages.error(request, "Choose online or offline.")
    return redirect("reader_dashboard")


@admin_required
def staff_dashboard(request):
    counts = {
        "clients": User.objects.filter(role=User.Role.CLIENT).count(),
        "readers": User.objects.filter(role=User.Role.READER).count(),
        "online": ReaderProfile.objects.listed().filter(availability="online").count(),
    }
    return render(request, "accounts/staff_dashboard.html", {"counts": counts})
