"""The moderation queue at /community/moderation/ (staff): review reported posts, act on their
authors, lift sanctions, read the audit trail. Every action goes through ``community.services.moderation``."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from community.forms import LiftForm, ModerationForm
from community.models import Post, Sanction
from community.services import moderation
from community.services.rules import CommunityError, is_staff


def staff_required(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not is_staff(request.user):
            raise Http404("No such page.")
        return view(request, *args, **kwargs)

    return wrapper


@staff_required
def queue(request):
    page = Paginator(moderation.moderation_queue(), 20).get_page(request.GET.get("page"))
    return render(
        request,
        "community/moderation_queue.html",
        {
            "page": page,
            "form": ModerationForm(),
            "sanctions": moderation.active_sanctions()[:50],
            "recent": moderation.audit_trail()[:10],
        },
    )


@staff_required
@require_POST
def act(request, pk):
    post = get_object_or_404(Post.objects.select_related("author", "thread"), pk=pk)
    form = ModerationForm(request.POST)
    if not form.is_valid():
        errors = "; ".join(e for errs in form.errors.values() for e in errs)
        messages.error(request, f"Nothing was done: {errors}")
        return redirect("community:moderation")
    action, reason = form.cleaned_data["action"], form.cleaned_data["reason"]
    try:
        if action in ("hide", "restore", "delete"):
            moderation.review_post(request.user, post, action, reason)
            done = {"hide": "hidden", "restore": "restored", "delete": "deleted"}[action]
            messages.success(request, f"The post is {done}; its reports are closed.")
        elif action == "warn":
            moderation.warn(request.user, post.author, reason, post=post)
            messages.success(request, f"{post.author.public_name} was warned.")
        elif action == "suspend":
            sanction = moderation.suspend(request.user, post.author, reason, days=form.cleaned_data["days"], post=post)
            messages.success(
                request, f"{post.author.public_name} is suspended until {sanction.ends_at:%d %b %Y %H:%M}."
            )
        else:
            moderation.ban(request.user, post.author, reason, post=post)
            messages.success(request, f"{post.author.public_name} is banned from posting and messaging.")
    except CommunityError as exc:
        messages.error(request, str(exc))
    return redirect("community:moderation")


@staff_required
@require_POST
def lift(request, pk):
    sanction = get_object_or_404(Sanction, pk=pk)
    form = LiftForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give a reason to lift the sanction.")
        return redirect("community:moderation")
    try:
        moderation.lift(request.user, sanction, form.cleaned_data["reason"])
    except CommunityError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "The sanction is lifted.")
    return redirect("community:moderation")


@staff_required
def log(request):
    page = Paginator(moderation.audit_trail(), 50).get_page(request.GET.get("page"))
    return render(request, "community/moderation_log.html", {"page": page})
