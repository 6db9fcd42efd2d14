"""Reading pages: request, waiting, answer, the room, the summary with its review, history."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.guards import admin_required, client_required, reader_required
from accounts.models import ReaderProfile
from payments import services as payments
from readings import conf, services
from readings.forms import RefundForm, RequestForm, ReviewForm, ReviewReplyForm
from readings.ice import ice_servers
from readings.models import Reading, Review
from soulseer.permissions import camera_and_microphone

Status = Reading.Status


def _reading_for(request, pk, *, staff_ok: bool = False) -> tuple[Reading, str | None]:
    reading = get_object_or_404(Reading.objects.select_related("client", "reader", "reader__reader_profile"), pk=pk)
    role = reading.role_of(request.user)
    if role is None and not (staff_ok and request.user.is_staff):
        raise PermissionDenied("This reading is not yours.")
    return reading, role


def _names(reading: Reading) -> dict:
    return {"client_name": reading.client.public_name, "reader_name": reading.reader.public_name}


@client_required
@require_POST
def request_reading(request, slug):
    profile = get_object_or_404(ReaderProfile.objects.listed(), slug=slug)
    form = RequestForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose chat, voice or video.")
        return redirect(profile)
    try:
        reading = services.request_reading(request.user, profile, form.cleaned_data["type"])
    except services.ReadingError as exc:
        messages.error(request, str(exc))
        return redirect(profile)
    return redirect("readings:detail", reading.pk)


@login_required
def detail(request, pk):
    """Where a reading's links point: the waiting page, the request to answer, the room or the summary."""
    reading, role = _reading_for(request, pk, staff_ok=True)
    if reading.status == Status.REQUESTED:
        services.expire_stale_requests(users=[reading.client_id])
        reading.refresh_from_db()
    if reading.status in Reading.LIVE and role:
        return redirect("readings:room", reading.pk)
    if reading.status == Status.ENDED or (role is None and reading.status != Status.REQUESTED):
        return redirect("readings:summary", reading.pk)
    template = "readings/waiting.html" if role != "reader" else "readings/answer.html"
    return render(
        request,
        template,
        {"reading": reading, "role": role, "timeout": conf.get("READINGS_REQUEST_TIMEOUT_SECONDS"), **_names(reading)},
    )


@login_required
def status(request, pk):
    """The waiting page polls this fragment (HTMX); it also expires the request when its time is up."""
    reading, role = _reading_for(request, pk)
    if reading.status == Status.REQUESTED:
        services.expire_stale_requests(users=[reading.client_id])
        reading.refresh_from_db()
    if reading.status in Reading.LIVE or reading.status == Status.ENDED:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = reverse("readings:detail", args=[reading.pk])
        return response
    return render(request, "readings/fragment_status.html", {"reading": reading, "role": role, **_names(reading)})


def _answer(request, pk, action):
    reading, _role = _reading_for(request, pk)
    try:
        action(reading, request.user)
    except services.ReadingError as exc:
        messages.error(request, str(exc))
    return reading


@reader_required
@require_POST
def accept(request, pk):
    reading = _answer(request, pk, services.accept_reading)
    reading.refresh_from_db()
    if reading.status == Status.ACCEPTED:
        return redirect("readings:room", reading.pk)
    return redirect("readings:history")


@reader_required
@require_POST
def decline(request, pk):
    _answer(request, pk, services.decline_reading)
    messages.info(request, "You declined the request.")
    return redirect("readings:history")


@client_required
@require_POST
def cancel(request, pk):
    reading = _answer(request, pk, services.cancel_reading)
    return redirect("readings:detail", reading.pk)


@login_required
@camera_and_microphone
def room(request, pk):
    reading, role = _reading_for(request, pk)
    if reading.status not in Reading.LIVE:
        return redirect("readings:detail", reading.pk)
    config = {
        "reading": reading.pk,
        "role": role,
        "type": reading.type,
        "ws": f"/ws/readings/{reading.pk}/",
        "iceServers": ice_servers(request.user),
        "iceTransportPolicy": settings.WEBRTC_ICE_TRANSPORT_POLICY,
        "summaryUrl": reverse("readings:summary", args=[reading.pk]),
        "rate": f"{reading.rate:.2f}",
        "minuteSeconds": conf.minute_seconds(),
        "peerName": reading.reader.public_name if role == "client" else reading.client.public_name,
    }
    profile = reading.reader.reader_profile
    placeholder = static("img/portrait-placeholder.svg")
    call_people = [
        {
            "role": "reader",
            "name": reading.reader.public_name,
            "photo": profile.photo.url if profile.photo else placeholder,
        },
        {"role": "client", "name": reading.client.public_name, "photo": placeholder},
    ]
    context = {
        "reading": reading,
        "role": role,
        "config": config,
        "call_people": call_people,
        "transcript": reading.messages.select_related("sender").all(),
        "balance": payments.balance(request.user) if role == "client" else None,
        **_names(reading),
    }
    return render(request, "readings/room.html", context)


@login_required
@require_POST
def end(request, pk):
    reading, _role = _reading_for(request, pk, staff_ok=True)
    try:
        services.end_reading(reading, request.user)
    except services.ReadingError as exc:
        messages.error(request, str(exc))
    return redirect("readings:summary", reading.pk)


@login_required
def summary(request, pk):
    reading, role = _reading_for(request, pk, staff_ok=True)
    if reading.status in Reading.LIVE and role:
        return redirect("readings:room", reading.pk)
    can_review = (
        role == "client"
        and reading.status == Status.ENDED
        and reading.started_at is not None
        and not hasattr(reading, "review")
    )
    context = {
        "reading": reading,
        "role": role,
        "transcript": reading.messages.select_related("sender").all(),
        "review_form": ReviewForm() if can_review else None,
        "refund_form": RefundForm() if request.user.is_staff and reading.billed_minutes else None,
        "end_message": services.END_MESSAGES.get(reading.end_reason, ""),
        **_names(reading),
    }
    return render(request, "readings/summary.html", context)


@client_required
@require_POST
def review(request, pk):
    reading, _role = _reading_for(request, pk)
    form = ReviewForm(request.POST)
    if form.is_valid():
        try:
            services.leave_review(reading, request.user, form.cleaned_data["rating"], form.cleaned_data["comment"])
        except services.ReadingError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, "Thank you, your review is published.")
    else:
        messages.error(request, "Choose from 1 to 5 stars (comments up to 2000 characters).")
    return redirect("readings:summary", reading.pk)


@reader_required
@require_POST
def reply(request, pk):
    """The reviewed reader answers a review once, publicly (from their dashboard)."""
    review = get_object_or_404(Review, pk=pk, reader=request.user)
    form = ReviewReplyForm(request.POST)
    if form.is_valid():
        try:
            services.reply_to_review(review, request.user, form.cleaned_data["reply"])
        except services.ReadingError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, "Your reply is published on your profile.")
    else:
        messages.error(request, "Write a reply of up to 1000 characters.")
    return redirect(f"{reverse('reader_dashboard')}#reviews-to-answer")


@login_required
def history(request):
    """A person's readings, newest first (with links to transcripts); readers see pending requests on top."""
    user = request.user
    if user.is_staff and not (user.is_client or user.is_reader):
        return redirect("readings:staff_list")
    qs = Reading.objects.filter(reader=user) if user.is_reader else Reading.objects.filter(client=user)
    qs = qs.select_related("client", "reader", "reader__reader_profile", "review")
    pending = qs.filter(status__in=Reading.OPEN)
    page = Paginator(qs.exclude(status__in=Reading.OPEN), 20).get_page(request.GET.get("page"))
    return render(request, "readings/history.html", {"page": page, "pending": pending, "is_reader": user.is_reader})


@admin_required
def staff_list(request):
    qs = Reading.objects.select_related("client", "reader").all()
    status_filter = request.GET.get("status", "")
    if status_filter in Status.values:
        qs = qs.filter(status=status_filter)
    if request.GET.get("disputed"):
        qs = qs.filter(disputed=True)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(
        request, "readings/staff_list.html", {"page": page, "statuses": Status.choices, "status": status_filter}
    )


@admin_required
@require_POST
def refund(request, pk):
    reading = get_object_or_404(Reading, pk=pk)
    form = RefundForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give a number of minutes and a reason.")
        return redirect("readings:summary", reading.pk)
    try:
        refunds = services.refund_minutes(
            reading, form.cleaned_data["minutes"], request.user, form.cleaned_data["reason"]
        )
    except (services.ReadingError, payments.PaymentError) as exc:
        messages.error(request, str(exc))
    else:
        total = sum(m.amount for m in refunds)
        messages.success(request, f"Refunded {len(refunds)} minute(s), ${total:.2f}, to the client.")
    return redirect("readings:summary", reading.pk)
