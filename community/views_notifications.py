"""The notification centre's pages: the list (mark one or all read), opening one, email settings."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from community.forms import NotificationSettingsForm
from community.models import Notification
from community.services import notifications

PAGE_SIZE = 20


@login_required
def notification_list(request):
    qs = Notification.objects.filter(user=request.user)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page": page, "unread": notifications.unread_count(request.user)}
    return render(request, "community/notifications.html", context)


def _safe_target(request, url: str) -> str:
    if url and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}, require_https=False):
        return url
    return ""


@login_required
def notification_open(request, pk):
    """Follow a notification's link, marking it read on the way (a GET: it is the person's own link)."""
    notification = get_object_or_404(Notification, pk=pk, user=request.user)
    notifications.mark_read(request.user, [notification.pk])
    return redirect(_safe_target(request, notification.url) or "notifications:list")


@login_required
@require_POST
def notification_read(request, pk):
    notification = get_object_or_404(Notification, pk=pk, user=request.user)
    notifications.mark_read(request.user, [notification.pk])
    if request.htmx:
        notification.refresh_from_db()
        return render(request, "community/fragment_notification.html", {"notification": notification})
    return redirect(_back(request))


@login_required
@require_POST
def notification_read_all(request):
    changed = notifications.mark_read(request.user)
    messages.success(request, f"Marked {changed} notification{'s' if changed != 1 else ''} as read.")
    return redirect(_back(request))


def _back(request) -> str:
    page = request.POST.get("page", "")
    url = reverse("notifications:list")
    return f"{url}?page={page}" if page.isdigit() else url


@login_required
def notification_settings(request):
    user = request.user
    if request.method == "POST":
        form = NotificationSettingsForm(request.POST, user=user)
        if form.is_valid():
            form.save()
            messages.success(request, "Your email choices are saved.")
            return redirect("notifications:settings")
    else:
        form = NotificationSettingsForm(user=user)
    return render(request, "community/notification_settings.html", {"form": form})
