"""Flags, the hide threshold, staff review, sanctions, locks and pins — each recorded in the audit trail."""

from datetime import timedelta

import pytest
from django.utils import timezone

from community.models import Flag, ModerationAction, Notification, Post, Sanction, Thread, Visibility
from community.services import forum, messages, moderation
from community.services.rules import CommunityError, NotAllowed, Sanctioned, active_sanction

Action = ModerationAction.Action


@pytest.fixture
def thread(general, bob):
    return forum.create_thread(bob, general, "A reader's thoughts", "Buy my course at example.com")


@pytest.fixture
def opening(thread):
    return thread.posts.get()


def test_a_member_flags_a_post_once(opening, alice):
    moderation.flag_post(alice, opening, "spam", "Advertising")
    with pytest.raises(CommunityError, match="already reported"):
        moderation.flag_post(alice, opening, "abuse")
    opening.refresh_from_db()
    assert Flag.objects.filter(post=opening).count() == 1 and opening.flag_count == 1
    assert opening.status == Visibility.VISIBLE


def test_nobody_flags_their_own_post_and_reasons_are_checked(opening, alice, bob):
    with pytest.raises(NotAllowed, match="your own post"):
        moderation.flag_post(bob, opening, "spam")
    with pytest.raises(CommunityError, match="reason"):
        moderation.flag_post(alice, opening, "because")
    assert not Flag.objects.exists()


def test_enough_distinct_flags_hide_the_post_until_reviewed(opening, thread, alice, dave, erin, settings):
    settings.COMMUNITY_FLAGS_TO_HIDE = 3
    moderation.flag_post(alice, opening, "spam")
    moderation.flag_post(dave, opening, "scam")
    opening.refresh_from_db()
    assert opening.status == Visibility.VISIBLE and opening.flag_count == 2
    moderation.flag_post(erin, opening, "spam")
    opening.refresh_from_db()
    thread.refresh_from_db()
    assert opening.status == Visibility.HIDDEN and opening.flag_count == 3
    assert thread.status == Visibility.HIDDEN  # the opening post carries its thread out of the lists
    assert list(forum.listed_threads()) == []
    auto = ModerationAction.objects.get(action=Action.AUTO_HIDE)
    assert auto.actor is None and auto.post == opening and auto.member == opening.author
    note = Notification.objects.get(user=opening.author, kind="moderation")
    assert "hidden until a moderator reviews" in note.text
    assert list(moderation.moderation_queue()) == [opening]


def test_the_threshold_is_a_setting(opening, alice, settings):
    settings.COMMUNITY_FLAGS_TO_HIDE = 1
    moderation.flag_post(alice, opening, "abuse")
    opening.refresh_from_db()
    assert opening.status == Visibility.HIDDEN


def test_staff_restore_closes_the_flags_and_new_ones_count_afresh(
    opening, thread, alice, dave, erin, frank, carol, settings
):
    settings.COMMUNITY_FLAGS_TO_HIDE = 2
    moderation.flag_post(alice, opening, "spam")
    moderation.flag_post(dave, opening, "spam")
    moderation.review_post(carol, opening, "restore", "Checked: a fair link")
    opening.refresh_from_db()
    thread.refresh_from_db()
    assert opening.status == Visibility.VISIBLE and opening.flag_count == 0 and thread.status == Visibility.VISIBLE
    assert not Flag.objects.filter(resolved_at__isnull=True).exists()
    assert set(Flag.objects.values_list("resolved_by", flat=True)) == {carol.pk}
    assert list(moderation.moderation_queue()) == []
    moderation.flag_post(erin, opening, "spam")
    opening.refresh_from_db()
    assert opening.status == Visibility.VISIBLE  # one new flag is not enough
    moderation.flag_post(frank, opening, "spam")
    opening.refresh_from_db()
    assert opening.status == Visibility.HIDDEN


@pytest.mark.parametrize(("action", "status"), [("hide", "hidden"), ("delete", "deleted"), ("restore", "visible")])
def test_staff_review_a_post_with_a_reason_recorded_and_told(opening, alice, carol, action, status):
    moderation.flag_post(alice, opening, "spam")
    moderation.review_post(carol, opening, action, "Reviewed by staff")
    opening.refresh_from_db()
    assert opening.status == status
    row = ModerationAction.objects.get(action=action)
    assert row.actor == carol and row.post == opening and row.reason == "Reviewed by staff"
    assert Notification.objects.filter(user=opening.author, kind="moderation").count() == 1


def test_only_staff_moderate_and_a_reason_is_required(opening, alice, carol, thread):
    with pytest.raises(NotAllowed, match="Only staff"):
        moderation.review_post(alice, opening, "hide", "I do not like it")
    with pytest.raises(NotAllowed):
        moderation.set_thread_flags(alice, thread, locked=True)
    with pytest.raises(NotAllowed):
        moderation.suspend(alice, opening.author, "Nope", days=3)
    with pytest.raises(CommunityError, match="reason"):
        moderation.review_post(carol, opening, "hide", "  ")
    assert not ModerationAction.objects.exists()


def test_a_suspended_member_cannot_post_or_message_and_sees_until_when(general, thread, alice, bob, carol):
    now = timezone.now()
    sanction = moderation.suspend(carol, alice, "Spamming links", days=7, now=now)
    assert sanction.ends_at == now + timedelta(days=7)
    assert active_sanction(alice) == sanction
    for attempt in (
        lambda: forum.create_thread(alice, general, "Let me in", "Hello"),
        lambda: forum.reply(alice, thread, "Hello"),
        lambda: messages.send_message(alice, bob, "Hello"),
        lambda: moderation.flag_post(alice, thread.posts.get(), "spam"),
    ):
        with pytest.raises(Sanctioned) as refused:
            attempt()
        assert "suspended from posting and messaging until" in str(refused.value)
        assert "Spamming links" in str(refused.value)
    assert "suspended" in Notification.objects.get(user=alice, kind="moderation").text
    row = ModerationAction.objects.get(action=Action.SUSPEND)
    assert row.member == alice and row.until == sanction.ends_at
    # After the end date the member posts again.
    assert active_sanction(alice, now + timedelta(days=7, seconds=1)) is None
    forum.create_thread(alice, general, "Back again", "Hello", now=now + timedelta(days=8))


def test_a_ban_lasts_until_lifted(general, alice, carol):
    moderation.ban(carol, alice, "Harassment")
    with pytest.raises(Sanctioned, match="banned"):
        forum.create_thread(alice, general, "Let me in", "Hello")
    assert active_sanction(alice, timezone.now() + timedelta(days=3650)) is not None
    moderation.lift(carol, Sanction.objects.get(user=alice), "Appeal accepted")
    assert active_sanction(alice) is None
    forum.create_thread(alice, general, "Thank you", "I will be kind.")
    assert [a.action for a in moderation.audit_trail()] == [Action.LIFT, Action.BAN]


def test_a_warning_tells_the_member_and_is_recorded(opening, carol):
    moderation.warn(carol, opening.author, "Please keep adverts off the forum", post=opening)
    note = Notification.objects.get(user=opening.author, kind="moderation")
    assert "warning" in note.text and "adverts" in note.text
    assert ModerationAction.objects.get(action=Action.WARN).post == opening


def test_staff_and_self_are_not_sanctioned_here(carol, alice):
    from accounts.models import User

    other_admin = User.objects.create_superuser(email="dan@example.com", password="x")
    with pytest.raises(NotAllowed, match="Staff accounts"):
        moderation.suspend(carol, other_admin, "Testing", days=1)
    with pytest.raises(NotAllowed, match="your own account"):
        moderation.ban(carol, carol, "Testing")
    with pytest.raises(CommunityError, match="1 to 365 days"):
        moderation.suspend(carol, alice, "Too long", days=1000)
    assert not Sanction.objects.exists()


def test_lock_and_pin_are_recorded_once_per_change(thread, carol):
    moderation.set_thread_flags(carol, thread, locked=True, pinned=True, reason="Important")
    moderation.set_thread_flags(carol, thread, locked=True)  # no change, no record
    thread.refresh_from_db()
    assert thread.locked and thread.pinned
    assert sorted(ModerationAction.objects.values_list("action", flat=True)) == ["lock", "pin"]


def test_the_queue_shows_hidden_posts_first_then_the_most_reported(general, bob, alice, dave, erin, settings):
    settings.COMMUNITY_FLAGS_TO_HIDE = 2
    one = forum.create_thread(bob, general, "Thread one", "Body one").posts.get()
    two = forum.create_thread(bob, general, "Thread two", "Body two").posts.get()
    three = forum.create_thread(bob, general, "Thread three", "Body three").posts.get()
    moderation.flag_post(alice, one, "spam")
    for member in (alice, dave):
        moderation.flag_post(member, three, "spam")  # hidden
    assert list(moderation.moderation_queue()) == [three, one]
    queued = moderation.moderation_queue().get(pk=three.pk)
    assert queued.open_flags == 2 and {f.member for f in queued.open_flag_list} == {alice, dave}
    assert two not in moderation.moderation_queue()


def test_a_deleted_post_cannot_be_flagged_and_leaves_the_queue(opening, alice, dave, carol):
    moderation.flag_post(alice, opening, "spam")
    moderation.review_post(carol, opening, "delete", "Advertising")
    with pytest.raises(NotAllowed, match="removed"):
        moderation.flag_post(dave, opening, "spam")
    assert list(moderation.moderation_queue()) == []
    assert Post.objects.get(pk=opening.pk).status == Visibility.DELETED
    assert Thread.objects.get(pk=opening.thread_id).status == Visibility.DELETED
