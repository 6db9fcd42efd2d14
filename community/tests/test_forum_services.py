"""Forum rules in the service layer: who posts where, locks, quoting, editing, limits, listing, search."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from community.models import Notification, Post, Thread, Visibility
from community.services import forum, moderation
from community.services.rules import CommunityError, NotAllowed, RateLimited


def test_a_member_starts_a_thread_with_its_opening_post(general, alice):
    thread = forum.create_thread(alice, general, "Hello everyone", "First post here.\nSecond line.")
    opening = thread.posts.get()
    assert opening.is_opening and opening.author == alice and opening.body == "First post here.\nSecond line."
    assert thread.reply_count == 0 and thread.last_author == alice
    assert list(forum.listed_threads().filter(category=general)) == [thread]


def test_staff_only_category_takes_posts_from_staff_alone(categories, alice, bob, carol):
    announcements = categories["announcements"]
    for member in (alice, bob):
        assert not forum.can_post_in(member, announcements)
        with pytest.raises(NotAllowed, match="Only the SoulSeer team posts in Announcements"):
            forum.create_thread(member, announcements, "My own news", "Hello world")
    thread = forum.create_thread(carol, announcements, "Welcome to SoulSeer", "Please be kind.")
    with pytest.raises(NotAllowed, match="Only the SoulSeer team"):
        forum.reply(alice, thread, "Thanks!")
    forum.reply(carol, thread, "One more thing.")
    assert Thread.objects.filter(category=announcements).count() == 1


def test_anonymous_and_inactive_people_cannot_post(general, alice):
    from django.contrib.auth.models import AnonymousUser

    assert not forum.can_post_in(AnonymousUser(), general)
    with pytest.raises(NotAllowed, match="Log in"):
        forum.create_thread(AnonymousUser(), general, "Who am I?", "Nobody")
    alice.is_active = False
    alice.save()
    with pytest.raises(NotAllowed):
        forum.create_thread(alice, general, "Still here", "Hello")


def test_replies_bump_the_thread_and_tell_its_author(general, alice, bob):
    thread = forum.create_thread(alice, general, "Tarot question", "Which deck for a beginner?")
    post = forum.reply(bob, thread, "Start with the Rider-Waite.")
    thread.refresh_from_db()
    assert thread.reply_count == 1 and thread.last_author == bob and thread.last_activity_at == post.created_at
    note = Notification.objects.get(user=alice)
    assert note.kind == "thread_reply" and "Bob the Seer replied" in note.text and "Tarot question" in note.text
    assert note.url == post.get_absolute_url()
    forum.reply(alice, thread, "Thank you!")  # replying in your own thread tells nobody
    assert Notification.objects.filter(user=alice).count() == 1
    assert not Notification.objects.filter(user=bob).exists()


def test_lists_show_pinned_first_then_newest_activity(general, alice, bob, carol):
    now = timezone.now()
    old = forum.create_thread(alice, general, "Old thread", "Old", now=now - timedelta(hours=3))
    middle = forum.create_thread(alice, general, "Middle thread", "Middle", now=now - timedelta(hours=2))
    new = forum.create_thread(bob, general, "New thread", "New", now=now - timedelta(hours=1))
    assert list(forum.listed_threads()) == [new, middle, old]
    forum.reply(bob, old, "Bumping this one", now=now)
    assert list(forum.listed_threads()) == [old, new, middle]
    moderation.set_thread_flags(carol, middle, pinned=True)
    assert list(forum.listed_threads()) == [middle, old, new]


def test_a_locked_thread_takes_no_replies(general, alice, bob, carol):
    thread = forum.create_thread(alice, general, "Locked soon", "Hello")
    thread = moderation.set_thread_flags(carol, thread, locked=True, reason="Off topic")
    assert not forum.can_reply(bob, thread)
    with pytest.raises(NotAllowed, match="locked"):
        forum.reply(bob, thread, "Can I still write?")
    thread = moderation.set_thread_flags(carol, thread, locked=False)
    forum.reply(bob, thread, "Now I can.")


def test_quoting_only_a_visible_post_of_the_same_thread(general, alice, bob):
    thread = forum.create_thread(alice, general, "Quotes", "Original words")
    other = forum.create_thread(alice, general, "Elsewhere", "Other words")
    opening = thread.posts.get()
    quoted = forum.reply(bob, thread, "I agree", quote=opening)
    assert quoted.quote_of == opening
    with pytest.raises(CommunityError, match="quote"):
        forum.reply(bob, thread, "Wrong thread", quote=other.posts.get())
    Post.objects.filter(pk=opening.pk).update(status=Visibility.DELETED)
    opening.refresh_from_db()
    with pytest.raises(CommunityError, match="quote"):
        forum.reply(bob, thread, "Removed post", quote=opening)


def test_authors_edit_within_the_window_only(general, alice, bob, settings):
    settings.COMMUNITY_EDIT_WINDOW_MINUTES = 10
    start = timezone.now()
    thread = forum.create_thread(alice, general, "Typo in here", "Helo", now=start)
    opening = thread.posts.get()
    forum.edit_post(alice, opening, "Hello", title="No typo here", now=start + timedelta(minutes=9))
    opening.refresh_from_db()
    thread.refresh_from_db()
    assert opening.body == "Hello" and opening.edited_at is not None and thread.title == "No typo here"
    with pytest.raises(NotAllowed, match="10 minutes"):
        forum.edit_post(alice, opening, "Too late", now=start + timedelta(minutes=11))
    with pytest.raises(NotAllowed):
        forum.edit_post(bob, opening, "Not mine", now=start + timedelta(minutes=1))
    assert not forum.can_edit(bob, opening, now=start)


@pytest.mark.parametrize(
    ("title", "body", "message"),
    [
        ("Hey", "A fine body", "title is too short"),
        ("T" * 141, "A fine body", "title is too long"),
        ("A good title", "x" * 10_001, "too long"),
        ("A good title", " ", "too short"),
        ("A good title", "nul\x00byte", "not allowed"),
        ("Two\nlines", "A fine body", "one line"),
    ],
)
def test_length_limits_and_bad_characters_are_refused(general, alice, title, body, message):
    with pytest.raises(CommunityError, match=message):
        forum.create_thread(alice, general, title, body)
    assert not Thread.objects.exists()


def test_posting_is_rate_limited_per_member(general, alice, bob, settings):
    settings.COMMUNITY_POSTS_PER_MINUTE = 2
    now = timezone.now()
    thread = forum.create_thread(alice, general, "Busy thread", "Opening", now=now)
    forum.reply(alice, thread, "Second post", now=now + timedelta(seconds=5))
    with pytest.raises(RateLimited, match="at most 2 posts a minute"):
        forum.reply(alice, thread, "Third post", now=now + timedelta(seconds=10))
    forum.reply(bob, thread, "Someone else may post", now=now + timedelta(seconds=10))
    forum.reply(alice, thread, "A minute later it is fine", now=now + timedelta(seconds=61))


def test_starting_threads_is_rate_limited_per_hour(general, alice, settings):
    settings.COMMUNITY_THREADS_PER_HOUR = 2
    now = timezone.now()
    forum.create_thread(alice, general, "Thread one", "Body", now=now - timedelta(minutes=30))
    forum.create_thread(alice, general, "Thread two", "Body", now=now - timedelta(minutes=20))
    with pytest.raises(RateLimited, match="at most 2 threads an hour"):
        forum.create_thread(alice, general, "Thread three", "Body", now=now)


def test_page_of_a_post(general, alice, bob, settings):
    settings.COMMUNITY_POSTS_PER_PAGE = 3
    settings.COMMUNITY_POSTS_PER_MINUTE = 0  # no limit
    start = timezone.now()
    thread = forum.create_thread(alice, general, "Long thread", "Post 1", now=start)
    posts = [forum.reply(bob, thread, f"Post {n}", now=start + timedelta(seconds=n)) for n in range(2, 8)]
    assert [forum.page_of(p) for p in posts] == [1, 1, 2, 2, 2, 3]


def test_search_finds_titles_and_posts_but_never_hidden_ones(general, alice, bob, carol):
    moon = forum.create_thread(alice, general, "Full moon rituals", "What do you do on a full moon?")
    crystals = forum.create_thread(bob, general, "Crystals for sleep", "Amethyst under the pillow works for me.")
    forum.reply(alice, crystals, "I use a moonstone next to the bed.")
    assert set(forum.search("amethyst")) == {crystals}
    assert set(forum.search("rituals")) == {moon}
    assert set(forum.search("moonstone")) == {crystals}
    assert list(forum.search("")) == []
    assert list(forum.search("nothing-like-this")) == []
    moderation.review_post(carol, crystals.posts.get(is_opening=True), "hide", "Testing hidden threads")
    assert list(forum.search("amethyst")) == []


def test_search_uses_full_text_on_postgresql_and_substrings_on_sqlite(general, alice):
    forum.create_thread(alice, general, "Readings that changed my life", "I had many readings this year.")
    if connection.vendor == "postgresql":
        assert forum.uses_full_text_search()
        assert forum.search("reading").count() == 1  # English stemming: "reading" finds "readings"
        assert forum.search('"changed my life"').count() == 1  # websearch syntax: a phrase
        assert forum.search("changed -life").count() == 0  # and exclusion
    else:
        assert not forum.uses_full_text_search()
        assert forum.search("READINGS THAT").count() == 1  # case-insensitive substring
