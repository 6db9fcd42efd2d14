"""Stream pages: the live list, watching, the reader's studio, summaries and past streams."""

import time

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from accounts.guards import reader_required
from accounts.models import ReaderProfile, User
from payments import services as payments
from readings.ice import ice_servers
from soulseer.permissions import camera_and_microphone
from streams import media, services
from streams.forms import GoLiveForm, SortForm
from streams.models import Stream, StreamRestriction

LIVE_SORTS = {"newest": ("-started_at", "-pk"), "watched": ("-viewer_count", "-started_at", "-pk")}


def _live_streams(sort: str):
    services.end_stale_streams()  # no ghost "live" badge, even with no stream socket open anywhere
    return (
        Stream.objects.filter(status=Stream.Status.LIVE)
        .select_related("reader__reader_profile")
        .order_by(*LIVE_SORTS.get(sort, LIVE_SORTS["newest"]))
    )


@vary_on_headers("HX-Request")
def live_list(request):
    form = SortForm(request.GET or None)
    sort = form.cleaned_data["sort"] if form.is_valid() and form.cleaned_data["sort"] else "newest"
    context = {"streams": _live_streams(sort), "sort": sort, "sorts": SortForm.base_fields["sort"].choices}
    if request.htmx and not request.htmx.boosted:
        return render(request, "streams/fragment_list.html", context)
    return render(request, "streams/list.html", context)


def live_badge(request, slug=None):
    """The small "Live now" badge (home page, reader profile), polled by HTMX."""
    reader = get_object_or_404(ReaderProfile.objects.listed(), slug=slug) if slug else None
    return render(request, "streams/fragment_live_badge.html", _badge_context(reader))


_last_reap = [0.0]


def _end_stale_streams_now_and_then() -> None:
    """Pages showing a badge end streams whose reader vanished, at most every few seconds per process."""
    now = time.monotonic()
    if now - _last_reap[0] >= 5:
        _last_reap[0] = now
        services.end_stale_streams()


def _badge_context(reader: ReaderProfile | None) -> dict:
    if not isinstance(reader, ReaderProfile):
        reader = None  # the include used without a reader (the home page): the site-wide count
    _end_stale_streams_now_and_then()
    live = Stream.objects.filter(status=Stream.Status.LIVE)
    if reader is not None:
        return {"reader": reader, "stream": live.filter(reader_id=reader.user_id).first()}
    return {"reader": None, "live_count": live.count(), "stream": None}


def _stream_config(request, stream: Stream, role: str) -> dict:
    return {
        "stream": stream.pk,
        "role": role,
        "ws": f"/ws/streams/{stream.pk}/",
        "iceServers": ice_servers(request.user) if request.user.is_authenticated else ice_servers(User(pk=0)),
        "summaryUrl": reverse("streams:summary", args=[stream.pk]),
        "topupUrl": reverse("payments:wallet"),
        "loginUrl": f"{reverse('account_login')}?next={request.path}",
        "hasVideo": stream.has_video,
    }


def watch(request, pk):
    stream = get_object_or_404(Stream.objects.select_related("reader__reader_profile"), pk=pk)
    if stream.status == Stream.Status.LIVE:
        services.end_stale_streams()
        stream.refresh_from_db()
    if stream.status != Stream.Status.LIVE:
        return redirect("streams:summary", stream.pk)
    user = request.user
    if user.is_authenticated and user.pk == stream.reader_id:
        return redirect("streams:studio")
    if services.is_banned(stream.reader_id, user):
        raise PermissionDenied("You cannot watch this reader's streams.")
    role = "moderator" if user.is_authenticated and user.is_staff else "viewer"
    balance = payments.balance(user) if user.is_authenticated and user.is_client else None
    context = {
        "stream": stream,
        "reader": stream.reader.reader_profile,
        "role": role,
        "config": _stream_config(request, stream, role),
        "chat": services.recent_messages(stream),
        "gifts": services.catalog(),
        "balance": balance,
        "top": services.top_gifters(stream),
        "muted": bool(services.restrictions_of(stream.reader_id, user)),
    }
    return render(request, "streams/watch.html", context)


def summary(request, pk):
    stream = get_object_or_404(Stream.objects.select_related("reader__reader_profile", "ended_by"), pk=pk)
    if stream.status == Stream.Status.LIVE:
        return redirect("streams:watch", stream.pk)
    owner = request.user.is_authenticated and (request.user.pk == stream.reader_id or request.user.is_staff)
    context = {
        "stream": stream,
        "reader": stream.reader.reader_profile,
        "owner": owner,
        "top": services.top_gifters(stream),
        "gifts": stream.gifts.select_related("gift_type", "sender", "sender__client_profile")[:200] if owner else [],
        "reader_share": stream.reader_share if owner else None,
        "end_message": services.END_MESSAGES.get(stream.end_reason, ""),
    }
    return render(request, "streams/summary.html", context)


@reader_required
@camera_and_microphone
def studio(request):
    """Go live (title, description, category, camera preview) or, while live, run the stream."""
    reader = request.user
    stream = Stream.objects.filter(reader=reader, status=Stream.Status.LIVE).first()
    if stream is not None:
        services.end_stale_streams()
        stream.refresh_from_db()
        if stream.status != Stream.Status.LIVE:
            messages.info(request, services.END_MESSAGES.get(stream.end_reason, "Your last stream has ended."))
            stream = None
    if request.method == "POST" and stream is None:
        form = GoLiveForm(request.POST)
        if form.is_valid():
            try:
                stream = services.go_live(reader, **form.cleaned_data, janus_urls=media.reachable_urls(fresh=True))
            except services.StreamError as exc:
                messages.error(request, str(exc))
            else:
                if not stream.has_video:
                    messages.warning(request, "Live video is unavailable right now: you are live with chat and gifts.")
                return redirect("streams:studio")
        else:
            messages.error(request, "Please correct the highlighted fields.")
    else:
        form = GoLiveForm(initial={"title": ""})
    context = {"form": form, "stream": stream, "profile": reader.reader_profile}
    if stream is not None:
        context.update(
            {
                "config": _stream_config(request, stream, "publisher"),
                "chat": services.recent_messages(stream),
                "top": services.top_gifters(stream),
                "restrictions": StreamRestriction.objects.filter(reader=reader).select_related(
                    "user", "user__client_profile"
                ),
            }
        )
    else:
        context["video_available"] = media.video_available()
    return render(request, "streams/studio.html", context)


@login_required
@require_POST
def end(request, pk):
    """End a stream without JavaScript (the studio's button posts here; staff too)."""
    stream = get_object_or_404(Stream, pk=pk)
    try:
        services.end_stream(stream, request.user)
    except services.StreamError as exc:
        raise PermissionDenied(str(exc)) from exc
    return redirect("streams:summary", stream.pk)


@reader_required
@require_POST
def lift(request, pk):
    restriction = get_object_or_404(StreamRestriction, pk=pk, reader=request.user)
    services.lift(request.user, restriction.user_id, restriction.kind, request.user)
    messages.success(request, f"{restriction.user.public_name} is no longer {restriction.get_kind_display().lower()}.")
    return redirect(
        request.POST.get("next") if request.POST.get("next") == reverse("streams:past") else "streams:studio"
    )


@reader_required
def past(request):
    qs = Stream.objects.filter(reader=request.user, status=Stream.Status.ENDED)
    page = Paginator(qs, 20).get_page(request.GET.get("page"))
    restrictions = StreamRestriction.objects.filter(reader=request.user).select_related("user", "user__client_profile")
    return render(request, "streams/past.html", {"page": page, "restrictions": restrictions})
