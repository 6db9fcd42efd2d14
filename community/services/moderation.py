"""Moderation: members flag posts; staff review the queue, hide, restore, delete, warn, suspend or
ban, and lock or pin threads. Every staff action (and every automatic hiding) is one
:class:`~community.models.ModerationAction` row: the audit trail of who did what, to whom and why.

A post flagged by ``COMMUNITY_FLAGS_TO_HIDE`` distinct members (open flags) is hidden until staff
review it. Reviewing (hide, restore or delete) closes the post's open flags.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from accounts.models import User
from community import conf
from community.models import Flag, ModerationAction, Post, Sanction, Thread, Visibility
from community.services.notifications import notify
from community.services.rules import (
    CommunityError,
    NotAllowed,
    clean_text,
    format_when,
    is_staff,
    require_good_standing,
)

Action = ModerationAction.Action
MAX_SUSPENSION_DAYS = 365


def _require_staff(user) -> None:
    if not is_staff(user):
        raise NotAllowed("Only staff can moderate.")


def _reason(reason: str) -> str:
    return clean_text(reason or "", what="The reason", minimum=3, maximum=300)


def _log(actor, action: str, *, member=None, post=None, thread=None, reason="", until=None, now=None):
    return ModerationAction.objects.create(
        actor=actor,
        action=action,
        member=member,
        post=post,
        thread=thread or (post.thread if post is not None else None),
        reason=reason,
        until=until,
        created_at=now or timezone.now(),
    )


def _set_status(post: Post, status: str) -> None:
    """A post's status; an opening post carries its thread with it (hidden thread = out of the lists)."""
    post.status = status
    post.save(update_fields=["status", "flag_count"])
    if post.is_opening:
        Thread.objects.filter(pk=post.thread_id).update(status=status)


# --- Flags ------------------------------------------------------------------------------------


@transaction.atomic
def flag_post(member: User, post: Post, reason: str, note: str = "", *, now: datetime | None = None) -> Flag:
    """``member`` reports ``post`` (once per post). Enough distinct open flags hide it until reviewed."""
    now = now or timezone.now()
    require_good_standing(member, now)
    if reason not in Flag.Reason.values:
        raise CommunityError("Choose a reason for the report.")
    note = clean_text(note or "", what="The note", minimum=0, maximum=300)
    post = Post.objects.select_for_update(of=("self",)).select_related("thread", "author").get(pk=post.pk)
    if post.author_id == member.pk:
        raise NotAllowed("You cannot report your own post.")
    if post.status == Visibility.DELETED:
        raise NotAllowed("This post was already removed.")
    if Flag.objects.filter(post=post, member=member).exists():
        raise CommunityError("You have already reported this post. Thank you — staff will review it.")
    try:
        with transaction.atomic():
            flag = Flag.objects.create(post=post, member=member, reason=reason, note=note, created_at=now)
    except IntegrityError:
        raise CommunityError("You have already reported this post. Thank you — staff will review it.") from None
    post.flag_count = Flag.objects.filter(post=post, resolved_at__isnull=True).count()
    threshold = conf.get("COMMUNITY_FLAGS_TO_HIDE")
    if post.status == Visibility.VISIBLE and post.flag_count >= threshold:
        _set_status(post, Visibility.HIDDEN)
        _log(None, Action.AUTO_HIDE, member=post.author, post=post, reason=f"{post.flag_count} member reports", now=now)
        notify(
            post.author,
            "moderation",
            f"Your post in “{post.thread.title}” is hidden until a moderator reviews members' reports.",
            post.get_absolute_url(),
        )
    else:
        post.save(update_fields=["flag_count"])
    return flag


def moderation_queue() -> QuerySet[Post]:
    """Posts waiting for review: any open flag, or hidden by flags; hidden first, most reported first."""
    open_flags = (
        Flag.objects.filter(resolved_at__isnull=True)
        .select_related("member__reader_profile", "member__client_profile")
        .order_by("created_at", "pk")
    )
    return (
        Post.objects.annotate(open_flags=Count("flags", filter=Q(flags__resolved_at__isnull=True)))
        .filter(open_flags__gt=0)
        .exclude(status=Visibility.DELETED)
        .select_related("thread__category", "author__reader_profile", "author__client_profile")
        .prefetch_related(Prefetch("flags", queryset=open_flags, to_attr="open_flag_list"))
        .order_by("status", "-open_flags", "created_at", "pk")  # "hidden" < "visible": hidden ones first
    )


def _resolve_flags(post: Post, staff: User, now: datetime) -> None:
    Flag.objects.filter(post=post, resolved_at__isnull=True).update(resolved_at=now, resolved_by=staff)
    post.flag_count = 0


# --- Staff actions on posts -------------------------------------------------------------------

_POST_ACTIONS = {
    Action.HIDE: (Visibility.HIDDEN, "Your post in “{title}” was hidden by a moderator. Reason: {reason}"),
    Action.RESTORE: (Visibility.VISIBLE, "Your post in “{title}” was reviewed and is visible again."),
    Action.DELETE: (Visibility.DELETED, "Your post in “{title}” was removed by a moderator. Reason: {reason}"),
}


@transaction.atomic
def review_post(staff: User, post: Post, action: str, reason: str, *, now: datetime | None = None) -> Post:
    """Hide, restore or delete ``post``; closes its open flags, records the action, tells the author."""
    _require_staff(staff)
    if action not in _POST_ACTIONS:
        raise CommunityError("Choose hide, restore or delete.")
    now = now or timezone.now()
    reason = _reason(reason)
    post = Post.objects.select_for_update(of=("self",)).select_related("thread", "author").get(pk=post.pk)
    status, text = _POST_ACTIONS[action]
    _resolve_flags(post, staff, now)
    _set_status(post, status)
    _log(staff, action, member=post.author, post=post, reason=reason, now=now)
    url = post.get_absolute_url() if status != Visibility.DELETED else post.thread.get_absolute_url()
    notify(post.author, "moderation", text.format(title=post.thread.title, reason=reason), url)
    return post


def hide_post(staff: User, post: Post, reason: str) -> Post:
    return review_post(staff, post, Action.HIDE, reason)


def restore_post(staff: User, post: Post, reason: str) -> Post:
    return review_post(staff, post, Action.RESTORE, reason)


def delete_post(staff: User, post: Post, reason: str) -> Post:
    return review_post(staff, post, Action.DELETE, reason)


# --- Staff actions on members -----------------------------------------------------------------


def _require_sanctionable(staff: User, member: User) -> None:
    _require_staff(staff)
    if member.pk == staff.pk:
        raise NotAllowed("You cannot act on your own account.")
    if member.is_staff:
        raise NotAllowed("Staff accounts are managed in the Django admin, not here.")


@transaction.atomic
def warn(staff: User, member: User, reason: str, *, post: Post | None = None) -> ModerationAction:
    _require_sanctionable(staff, member)
    reason = _reason(reason)
    action = _log(staff, Action.WARN, member=member, post=post, reason=reason)
    notify(member, "moderation", f"A moderator sent you a warning: {reason}", post.get_absolute_url() if post else "")
    return action


@transaction.atomic
def suspend(
    staff: User, member: User, reason: str, *, days: int, post: Post | None = None, now: datetime | None = None
) -> Sanction:
    """No posting or messaging for ``days`` days."""
    _require_sanctionable(staff, member)
    if not isinstance(days, int) or not 1 <= days <= MAX_SUSPENSION_DAYS:
        raise CommunityError(f"A suspension lasts from 1 to {MAX_SUSPENSION_DAYS} days.")
    now = now or timezone.now()
    reason = _reason(reason)
    until = now + timedelta(days=days)
    sanction = Sanction.objects.create(
        user=member, kind=Sanction.Kind.SUSPENSION, reason=reason, starts_at=now, ends_at=until, created_by=staff
    )
    _log(staff, Action.SUSPEND, member=member, post=post, reason=reason, until=until, now=now)
    notify(
        member,
        "moderation",
        f"You are suspended from posting and messaging until {format_when(until)}. Reason: {reason}",
        "/community/",
    )
    return sanction


@transaction.atomic
def ban(staff: User, member: User, reason: str, *, post: Post | None = None, now: datetime | None = None) -> Sanction:
    """No posting or messaging until staff lift it."""
    _require_sanctionable(staff, member)
    now = now or timezone.now()
    reason = _reason(reason)
    sanction = Sanction.objects.create(
        user=member, kind=Sanction.Kind.BAN, reason=reason, starts_at=now, created_by=staff
    )
    _log(staff, Action.BAN, member=member, post=post, reason=reason, now=now)
    notify(member, "moderation", f"Your account is banned from posting and messaging. Reason: {reason}", "/community/")
    return sanction


@transaction.atomic
def lift(staff: User, sanction: Sanction, reason: str, *, now: datetime | None = None) -> Sanction:
    _require_staff(staff)
    now = now or timezone.now()
    reason = _reason(reason)
    sanction = Sanction.objects.select_for_update(of=("self",)).select_related("user").get(pk=sanction.pk)
    if sanction.lifted_at is not None:
        return sanction
    sanction.lifted_at, sanction.lifted_by = now, staff
    sanction.save(update_fields=["lifted_at", "lifted_by"])
    _log(staff, Action.LIFT, member=sanction.user, reason=reason, now=now)
    notify(sanction.user, "moderation", f"Your {sanction.get_kind_display().lower()} was lifted.", "/community/")
    return sanction


def active_sanctions() -> QuerySet[Sanction]:
    now = timezone.now()
    return (
        Sanction.objects.filter(lifted_at__isnull=True, starts_at__lte=now)
        .filter(Q(ends_at__isnull=True) | Q(ends_at__gt=now))
        .select_related("user__reader_profile", "user__client_profile", "created_by")
    )


# --- Threads ----------------------------------------------------------------------------------


@transaction.atomic
def set_thread_flags(
    staff: User, thread: Thread, *, locked: bool | None = None, pinned: bool | None = None, reason: str = ""
) -> Thread:
    """Lock/unlock and pin/unpin a thread; each change is recorded."""
    _require_staff(staff)
    thread = Thread.objects.select_for_update().get(pk=thread.pk)
    reason = (reason or "").strip()[:300]
    if "\x00" in reason:
        raise CommunityError("The reason contains characters that are not allowed.")
    changes = []
    if locked is not None and locked != thread.locked:
        thread.locked = locked
        changes.append(("locked", Action.LOCK if locked else Action.UNLOCK))
    if pinned is not None and pinned != thread.pinned:
        thread.pinned = pinned
        changes.append(("pinned", Action.PIN if pinned else Action.UNPIN))
    if changes:
        thread.save(update_fields=[field for field, _ in changes])
        for _, action in changes:
            _log(staff, action, member=thread.author, thread=thread, reason=reason)
    return thread


def audit_trail() -> QuerySet[ModerationAction]:
    return ModerationAction.objects.select_related(
        "actor", "member__reader_profile", "member__client_profile", "thread", "post"
    ).order_by("-created_at", "-pk")
