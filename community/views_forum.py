"""Forum pages at /community/: categories, threads, posting, editing, flags and search. Thin: every
rule lives in ``community.services``; refusals come back as a clear message on the page."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from community import conf
from community.forms import EditPostForm, FlagForm, ReplyForm, SearchForm, ThreadForm, ThreadModerationForm
from community.models import Category, Flag, Post, Thread, Visibility
from community.services import forum, moderation
from community.services.rules import CommunityError, active_sanction, is_staff


def _standing(request) -> dict:
    """The banner a suspended or banned member sees on every forum and messages page."""
    return {"sanction": active_sanction(request.user) if request.user.is_authenticated else None}


def index(request):
    categories = forum.categories_overview()
    recent = forum.listed_threads()[:8]
    return render(
        request,
        "community/index.html",
        {"categories": categories, "recent": recent, "search_form": SearchForm(), **_standing(request)},
    )


def category(request, slug):
    cat = get_object_or_404(Category, slug=slug)
    threads = forum.listed_threads().filter(category=cat)
    page = Paginator(threads, conf.get("COMMUNITY_THREADS_PER_PAGE")).get_page(request.GET.get("page"))
    return render(
        request,
        "community/category.html",
        {"category": cat, "page": page, "can_post": forum.can_post_in(request.user, cat), **_standing(request)},
    )


@login_required
def new_thread(request, slug):
    cat = get_object_or_404(Category, slug=slug)
    if not forum.can_post_in(request.user, cat):
        messages.error(request, f"Only the SoulSeer team posts in {cat.name}.")
        return redirect(cat)
    form = ThreadForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            thread = forum.create_thread(request.user, cat, form.cleaned_data["title"], form.cleaned_data["body"])
        except CommunityError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Your thread is posted.")
            return redirect(thread)
    status = 400 if request.method == "POST" else 200
    return render(
        request, "community/thread_form.html", {"category": cat, "form": form, **_standing(request)}, status=status
    )


def _id(value) -> int | None:
    """A database id from a query or form value, or None for anything else (never an error)."""
    value = str(value or "")
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 18 else None


def _thread_for(request, pk) -> Thread:
    thread = get_object_or_404(Thread.objects.select_related("category", "author__reader_profile"), pk=pk)
    if not forum.can_view_thread(request.user, thread):
        raise Http404("No such thread.")
    return thread


def thread(request, pk, reply_form=None):
    thread = _thread_for(request, pk)
    page = Paginator(forum.thread_posts(thread), conf.get("COMMUNITY_POSTS_PER_PAGE")).get_page(request.GET.get("page"))
    posts = list(page.object_list)
    user = request.user
    flagged = set()
    if user.is_authenticated and posts:
        flagged = set(Flag.objects.filter(member=user, post__in=posts).values_list("post_id", flat=True))
    if reply_form is None:
        quote_id = _id(request.GET.get("quote"))
        reply_form = ReplyForm(initial={"quote": quote_id} if quote_id else None)
    else:
        quote_id = _id(reply_form.data.get("quote"))
    quote = None
    if quote_id:
        quote = (
            Post.objects.filter(pk=quote_id, thread=thread, status=Visibility.VISIBLE)
            .select_related(*forum.AUTHOR_RELATED)
            .first()
        )
    staff = is_staff(user)
    context = {
        "thread": thread,
        "category": thread.category,
        "page": page,
        "posts": posts,
        "flagged": flagged,
        "editable": {p.pk for p in posts if forum.can_edit(user, p)},
        "can_reply": forum.can_reply(user, thread),
        "can_post_here": forum.can_post_in(user, thread.category),
        "reply_form": reply_form,
        "quote": quote,
        "is_staff": staff,
        "viewer_id": user.pk,
        **_standing(request),
    }
    status = 400 if reply_form.is_bound and reply_form.errors else 200
    return render(request, "community/thread.html", context, status=status)


@login_required
@require_POST
def reply(request, pk):
    thread_obj = _thread_for(request, pk)
    form = ReplyForm(request.POST)
    if form.is_valid():
        quote = None
        if form.cleaned_data["quote"]:
            quote = Post.objects.filter(pk=form.cleaned_data["quote"], thread=thread_obj).first()
            if quote is None:
                form.add_error(None, "You can only quote a visible post of this thread.")
        if not form.errors:
            try:
                post = forum.reply(request.user, thread_obj, form.cleaned_data["body"], quote=quote)
            except CommunityError as exc:
                form.add_error(None, str(exc))
            else:
                return redirect(post)
    return thread(request, pk, reply_form=form)


def post_permalink(request, pk):
    post = get_object_or_404(Post.objects.select_related("thread"), pk=pk)
    if not forum.can_view_thread(request.user, post.thread):
        raise Http404("No such post.")
    page = forum.page_of(post)
    url = reverse("community:thread", args=[post.thread_id])
    return redirect(f"{url}?page={page}#post-{post.pk}" if page > 1 else f"{url}#post-{post.pk}")


@login_required
def edit_post(request, pk):
    post = get_object_or_404(Post.objects.select_related("thread__category"), pk=pk)
    if post.author_id != request.user.pk:
        raise Http404("No such post.")
    if not forum.can_edit(request.user, post):
        messages.error(
            request, f"Authors can edit a post for {conf.get('COMMUNITY_EDIT_WINDOW_MINUTES')} minutes after posting."
        )
        return redirect(post)
    initial = {"body": post.body, "title": post.thread.title}
    form = EditPostForm(request.POST or None, initial=initial, opening=post.is_opening)
    if request.method == "POST" and form.is_valid():
        try:
            forum.edit_post(request.user, post, form.cleaned_data["body"], title=form.cleaned_data.get("title"))
        except CommunityError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Your post is updated.")
            return redirect(post)
    status = 400 if request.method == "POST" else 200
    return render(
        request, "community/post_edit.html", {"post": post, "form": form, **_standing(request)}, status=status
    )


@login_required
def flag_post(request, pk):
    post = get_object_or_404(
        Post.objects.select_related("thread", "author__reader_profile", "author__client_profile"), pk=pk
    )
    if not forum.can_view_thread(request.user, post.thread) or post.status == Visibility.DELETED:
        raise Http404("No such post.")
    form = FlagForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            moderation.flag_post(request.user, post, form.cleaned_data["reason"], form.cleaned_data["note"])
        except CommunityError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, "Thank you. Staff will review this post.")
        return redirect(post)
    status = 400 if request.method == "POST" else 200
    return render(request, "community/flag.html", {"post": post, "form": form, **_standing(request)}, status=status)


def search(request):
    form = SearchForm(request.GET or None)
    query = form.cleaned_data["q"] if form.is_valid() else ""
    page = Paginator(forum.search(query), conf.get("COMMUNITY_THREADS_PER_PAGE")).get_page(request.GET.get("page"))
    status = 400 if form.is_bound and form.errors else 200
    return render(
        request,
        "community/search.html",
        {"form": form, "query": query, "page": page, "postgres": forum.uses_full_text_search()},
        status=status,
    )


@login_required
@require_POST
def moderate_thread(request, pk):
    thread_obj = get_object_or_404(Thread, pk=pk)
    if not is_staff(request.user):
        raise Http404("No such page.")
    form = ThreadModerationForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose lock, unlock, pin or unpin.")
        return redirect(thread_obj)
    action = form.cleaned_data["action"]
    flags = {"lock": {"locked": True}, "unlock": {"locked": False}, "pin": {"pinned": True}, "unpin": {"pinned": False}}
    moderation.set_thread_flags(request.user, thread_obj, **flags[action])
    done = {"lock": "locked", "unlock": "unlocked", "pin": "pinned", "unpin": "unpinned"}[action]
    messages.success(request, f"Thread {done}.")
    return redirect(thread_obj)
