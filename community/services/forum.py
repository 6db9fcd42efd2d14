"""The forum: threads and replies, editing, listings and search.

Anyone reads; members post (not while suspended or banned); staff-only categories take posts from
staff alone; locked threads take no replies. Posting is rate-limited per member
(``COMMUNITY_POSTS_PER_MINUTE``, ``COMMUNITY_THREADS_PER_HOUR``). Text is stored as typed and only
ever rendered escaped (``community_extras.plain_text``).
"""

from __future__ import annotations

from datetime import datetime

from django.db import connection, transaction
from django.db.models import Count, F, Max, Q, QuerySet
from django.utils import timezone

from accounts.models import User
from community import conf
from community.models import Category, Post, Thread, Visibility
from community.services.notifications import notify
from community.services.rules import (
    CommunityError,
    NotAllowed,
    check_rate,
    clean_text,
    is_staff,
    lock_member,
    require_good_standing,
    since,
)

AUTHOR_RELATED = ("author__reader_profile", "author__client_profile")


# --- Who may do what --------------------------------------------------------------------------


def can_post_in(user, category: Category) -> bool:
    """Whether ``user`` may start threads and reply in ``category`` (ignoring sanctions and locks)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return is_staff(user) if category.staff_only else True


def can_reply(user, thread: Thread) -> bool:
    return can_post_in(user, thread.category) and not thread.locked and thread.status == Visibility.VISIBLE


def can_edit(user, post: Post, now: datetime | None = None) -> bool:
    """Authors edit their own visible posts within ``COMMUNITY_EDIT_WINDOW_MINUTES``."""
    now = now or timezone.now()
    return (
        getattr(user, "pk", None) == post.author_id
        and user.is_active
        and post.status == Visibility.VISIBLE
        and now - post.created_at <= conf.edit_window()
    )


def can_view_thread(user, thread: Thread) -> bool:
    return thread.status == Visibility.VISIBLE or is_staff(user) or getattr(user, "pk", None) == thread.author_id


def _check_posting(author: User, category: Category, now: datetime) -> None:
    require_good_standing(author, now)
    if category.staff_only and not is_staff(author):
        raise NotAllowed(f"Only the SoulSeer team posts in {category.name}.")
    lock_member(author)
    limit = conf.get("COMMUNITY_POSTS_PER_MINUTE")
    recent = Post.objects.filter(author=author, created_at__gt=since(now, minutes=1)).count()
    check_rate(recent, limit, f"You are posting quickly: at most {limit} posts a minute. Please wait a moment.")


# --- Writing ----------------------------------------------------------------------------------


@transaction.atomic
def create_thread(author: User, category: Category, title: str, body: str, *, now: datetime | None = None) -> Thread:
    """Start a thread with its opening post."""
    now = now or timezone.now()
    title = clean_text(title, what="The title", minimum=conf.TITLE_MIN, maximum=conf.TITLE_MAX)
    if "\n" in title:
        raise CommunityError("The title must be one line.")
    body = clean_text(body, what="Your post", minimum=conf.POST_MIN, maximum=conf.POST_MAX)
    _check_posting(author, category, now)
    limit = conf.get("COMMUNITY_THREADS_PER_HOUR")
    recent = Thread.objects.filter(author=author, created_at__gt=since(now, hours=1)).count()
    check_rate(recent, limit, f"You can start at most {limit} threads an hour. Reply in an existing one, or wait.")
    thread = Thread.objects.create(
        category=category, author=author, title=title, created_at=now, last_activity_at=now, last_author=author
    )
    Post.objects.create(thread=thread, author=author, body=body, is_opening=True, created_at=now)
    return thread


@transaction.atomic
def reply(author: User, thread: Thread, body: str, *, quote: Post | None = None, now: datetime | None = None) -> Post:
    """Reply in ``thread`` (optionally quoting one of its visible posts); tells the thread's author."""
    now = now or timezone.now()
    body = clean_text(body, what="Your reply", minimum=conf.POST_MIN, maximum=conf.POST_MAX)
    thread = Thread.objects.select_for_update(of=("self",)).select_related("category").get(pk=thread.pk)
    _check_posting(author, thread.category, now)
    if thread.status != Visibility.VISIBLE:
        raise NotAllowed("This thread is hidden; it takes no replies.")
    if thread.locked:
        raise NotAllowed("This thread is locked: it takes no new replies.")
    if quote is not None and (quote.thread_id != thread.pk or quote.status != Visibility.VISIBLE):
        raise CommunityError("You can only quote a visible post of this thread.")
    post = Post.objects.create(thread=thread, author=author, body=body, quote_of=quote, created_at=now)
    Thread.objects.filter(pk=thread.pk).update(
        reply_count=F("reply_count") + 1, last_activity_at=now, last_author=author
    )
    if thread.author_id != author.pk and thread.author.is_active:
        notify(
            thread.author,
            "thread_reply",
            f"{author.public_name} replied to your thread “{thread.title}”",
            post.get_absolute_url(),
            email_key=f"thread:{thread.pk}",
        )
    return post


@transaction.atomic
def edit_post(editor: User, post: Post, body: str, *, title: str | None = None, now: datetime | None = None) -> Post:
    """The author changes a post within the edit window (and the title, for an opening post)."""
    now = now or timezone.now()
    post = Post.objects.select_for_update(of=("self",)).select_related("thread").get(pk=post.pk)
    require_good_standing(editor, now)
    if not can_edit(editor, post, now):
        raise NotAllowed(
            f"Authors can edit a post for {conf.get('COMMUNITY_EDIT_WINDOW_MINUTES')} minutes after posting."
        )
    post.body = clean_text(body, what="Your post", minimum=conf.POST_MIN, maximum=conf.POST_MAX)
    post.edited_at = now
    post.save(update_fields=["body", "edited_at"])
    if post.is_opening and title is not None:
        title = clean_text(title, what="The title", minimum=conf.TITLE_MIN, maximum=conf.TITLE_MAX)
        if "\n" in title:
            raise CommunityError("The title must be one line.")
        Thread.objects.filter(pk=post.thread_id).update(title=title)
    return post


# --- Reading ----------------------------------------------------------------------------------


def categories_overview() -> list[Category]:
    """Every category with its visible thread count and latest activity (one query)."""
    visible = Q(threads__status=Visibility.VISIBLE)
    return list(
        Category.objects.annotate(
            thread_count=Count("threads", filter=visible), latest=Max("threads__last_activity_at", filter=visible)
        ).order_by("position", "name")
    )


def listed_threads() -> QuerySet[Thread]:
    """Threads shown in lists: visible ones, pinned first, newest activity first; authors joined."""
    return (
        Thread.objects.filter(status=Visibility.VISIBLE)
        .select_related(
            "category",
            "author__reader_profile",
            "author__client_profile",
            "last_author__reader_profile",
            "last_author__client_profile",
        )
        .order_by("-pinned", "-last_activity_at", "-pk")
    )


def thread_posts(thread: Thread) -> QuerySet[Post]:
    """A thread's posts in order, with everything a post's card shows joined (constant queries)."""
    return (
        Post.objects.filter(thread=thread)
        .select_related(
            *AUTHOR_RELATED,
            "quote_of__author__reader_profile",
            "quote_of__author__client_profile",
        )
        .order_by("created_at", "pk")
    )


def page_of(post: Post) -> int:
    """The page of its thread that shows ``post``."""
    before = Post.objects.filter(thread_id=post.thread_id).filter(
        Q(created_at__lt=post.created_at) | Q(created_at=post.created_at, pk__lt=post.pk)
    )
    return before.count() // conf.get("COMMUNITY_POSTS_PER_PAGE") + 1


def uses_full_text_search() -> bool:
    return connection.vendor == "postgresql"


def search(query: str) -> QuerySet[Thread]:
    """Visible threads whose title or visible posts match ``query``.

    PostgreSQL: full-text search (``websearch`` syntax, English stemming), best title matches first.
    SQLite: a case-insensitive substring match, newest activity first.
    """
    query = query.strip()
    threads = listed_threads()
    if not query:
        return threads.none()
    posts = Post.objects.filter(status=Visibility.VISIBLE)
    if uses_full_text_search():
        from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector

        terms = SearchQuery(query, search_type="websearch", config="english")
        matching = posts.annotate(document=SearchVector("body", config="english")).filter(document=terms)
        title = SearchVector("title", config="english")
        return (
            threads.annotate(title_document=title, rank=SearchRank(title, terms))
            .filter(Q(title_document=terms) | Q(pk__in=matching.values("thread_id")))
            .order_by("-rank", "-last_activity_at", "-pk")
        )
    matching = posts.filter(body__icontains=query)
    return threads.filter(Q(title__icontains=query) | Q(pk__in=matching.values("thread_id"))).order_by(
        "-last_activity_at", "-pk"
    )
