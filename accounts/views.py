from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from accounts import services
from accounts.forms import AvailabilityForm, DirectoryFilterForm, ReaderProfileForm
from accounts.guards import admin_required, client_required, reader_required
from accounts.models import ReaderProfile, User


@vary_on_headers("HX-Request")
def reader_directory(request):
    form = DirectoryFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    readers = ReaderProfile.objects.directory(**{k: v for k, v in filters.items() if v not in (None, "")})
    page = Paginator(readers, settings.SOULSEER_DIRECTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "query": query.urlencode()}
    if request.htmx and not request.htmx.boosted and not request.htmx.history_restore_request:
        return render(request, "accounts/fragment_reader_results.html", context)
    return render(request, "accounts/reader_directory.html", context)


def reader_detail(request, slug):
    reader = get_object_or_404(ReaderProfile.objects.listed().prefetch_related("specialties"), slug=slug)
    return render(request, "accounts/reader_detail.html", {"reader": reader})


@login_required
def dashboard(request):
    """One 'my dashboard' link for everyone; each role lands on its own page."""
    destinations = {User.Role.READER: "reader_dashboard", User.Role.ADMIN: "staff_dashboard"}
    return redirect(destinations.get(request.user.role, "client_dashboard"))


@client_required
def client_dashboard(request):
    online = ReaderProfile.objects.listed().filter(availability="online").order_by("-rating_average")[:4]
    return render(request, "accounts/client_dashboard.html", {"online_readers": online})


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
