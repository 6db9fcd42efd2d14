"""Forum pages: anyone reads, members post, staff moderate; bad input is a 400 or 404, never a 500."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from community.models import Flag, ModerationAction, Post, Thread, Visibility
from community.services import forum, moderation


@pytest.fixture
def thread(general, alice):
    return forum.create_thread(alice, general, "Which deck for a beginner?", "I want to learn tarot.")


def test_anyone_reads_the_forum(client, thread, categories):
    index = client.get(reverse("community:index"))
    assert index.status_code == 200
    html = index.content.decode()
    for name in ["General", "Readings", "Spiritual Growth", "Ask a Reader", "Announcements"]:
        assert name in html
    assert "Which deck for a beginner?" in html
    assert client.get(reverse("community:category", args=["general"])).status_code == 200
    page = client.get(thread.get_absolute_url())
    assert page.status_code == 200 and "I want to learn tarot." in page.content.decode()
    assert "Log in</a> or" in page.content.decode()  # no reply form for visitors


def test_visitors_are_sent_to_log_in_to_post(client, thread, general):
    new = client.get(reverse("community:new_thread", args=["general"]))
    assert new.status_code == 302 and "/accounts/login/" in new["Location"]
    reply = client.post(reverse("community:reply", args=[thread.pk]), {"body": "Hello"})
    assert reply.status_code == 302 and "/accounts/login/" in reply["Location"]
    assert Post.objects.count() == 1


def test_a_member_starts_a_thread_and_replies(logged_in, alice, bob, general):
    client = logged_in(alice)
    response = client.post(
        reverse("community:new_thread", args=["general"]), {"title": "Full moon tonight", "body": "Who is watching?"}
    )
    thread = Thread.objects.get()
    assert response.status_code == 302 and response["Location"] == thread.get_absolute_url()
    client = logged_in(bob)
    reply = client.post(reverse("community:reply", args=[thread.pk]), {"body": "Me! Clear skies here."})
    post = Post.objects.get(is_opening=False)
    assert reply.status_code == 302 and reply["Location"] == post.get_absolute_url()
    page = client.get(thread.get_absolute_url())
    html = page.content.decode()
    assert "Clear skies here." in html and "data-reader-badge" in html  # bob is a reader


def test_the_reader_badge_marks_readers_posts_only(logged_in, alice, bob, thread):
    forum.reply(bob, thread, "A reader answers")
    html = logged_in(alice).get(thread.get_absolute_url()).content.decode()
    assert html.count("data-reader-badge") == 1


def test_form_errors_are_shown_with_a_400(logged_in, alice, general):
    client = logged_in(alice)
    url = reverse("community:new_thread", args=["general"])
    for data, error in [
        ({"title": "Hi", "body": "Some body"}, "at least 5 characters"),
        ({"title": "A fine title", "body": ""}, "This field is required"),
        ({"title": "A fine title", "body": "x" * 10_001}, "at most 10000 characters"),
        ({"title": "A fine\x00title", "body": "Body"}, "Null characters are not allowed"),
        ({"title": "A fine title", "body": "Bo\x00dy"}, "Null characters are not allowed"),
    ]:
        response = client.post(url, data)
        assert response.status_code == 400, data
        assert error in response.content.decode()
    assert not Thread.objects.exists()


def test_the_staff_only_category_refuses_members(logged_in, alice, carol, categories):
    client = logged_in(alice)
    url = reverse("community:new_thread", args=["announcements"])
    response = client.get(url, follow=True)
    assert "Only the SoulSeer team posts in Announcements" in response.content.decode()
    client.post(url, {"title": "My announcement", "body": "Hello"})
    assert not Thread.objects.exists()
    staff = logged_in(carol)
    staff.post(url, {"title": "Site news for April", "body": "New readers joined."})
    assert Thread.objects.get().category.slug == "announcements"


def test_a_rate_limited_member_sees_why(logged_in, alice, thread, settings):
    settings.COMMUNITY_POSTS_PER_MINUTE = 1
    response = logged_in(alice).post(reverse("community:reply", args=[thread.pk]), {"body": "Too quick"})
    assert response.status_code == 400
    assert "You are posting quickly: at most 1 posts a minute" in response.content.decode()


def test_quoting_prefills_the_reply_and_bad_quotes_are_ignored(logged_in, bob, thread):
    client = logged_in(bob)
    opening = thread.posts.get()
    page = client.get(thread.get_absolute_url(), {"quote": opening.pk})
    assert page.status_code == 200 and 'id="quote-preview"' in page.content.decode()
    for bad in ["abc", "-1", "99999999999999999999999", "\x00", "0"]:
        response = client.get(thread.get_absolute_url(), {"quote": bad})
        assert response.status_code == 200 and 'id="quote-preview"' not in response.content.decode()
    client.post(reverse("community:reply", args=[thread.pk]), {"body": "Quoting you", "quote": opening.pk})
    assert Post.objects.get(is_opening=False).quote_of == opening
    bad = client.post(reverse("community:reply", args=[thread.pk]), {"body": "Bad quote", "quote": "12x"})
    assert bad.status_code == 400


def test_bad_ids_are_404s(client, logged_in, alice, thread):
    for url in [
        "/community/thread/0/",
        "/community/thread/999999999999999999/",
        "/community/thread/9999999999999999999999999/",
        "/community/post/123456789/",
        "/community/thread/abc/",
        "/community/nope/",
    ]:
        assert client.get(url).status_code == 404, url
    member = logged_in(alice)
    assert member.post("/community/thread/999999999999999999/reply/", {"body": "x"}).status_code == 404
    assert member.get("/community/post/999999999999999999/edit/").status_code == 404
    assert member.get("/community/post/999999999999999999/flag/").status_code == 404


def test_search_page_validates_its_input(client, thread):
    found = client.get(reverse("community:search"), {"q": "deck"})
    assert found.status_code == 200 and "Which deck for a beginner?" in found.content.decode()
    assert client.get(reverse("community:search"), {"q": "a\x00b"}).status_code == 400
    assert client.get(reverse("community:search"), {"q": "x" * 500}).status_code == 400
    assert client.get(reverse("community:search"), {"q": "deck", "page": "zzz"}).status_code == 200


def test_a_post_permalink_lands_on_its_page(client, thread, bob, settings):
    settings.COMMUNITY_POSTS_PER_PAGE = 2
    settings.COMMUNITY_POSTS_PER_MINUTE = 0
    now = timezone.now()
    posts = [forum.reply(bob, thread, f"Reply {n}", now=now + timedelta(seconds=n)) for n in range(1, 4)]
    response = client.get(posts[-1].get_absolute_url())
    assert response["Location"] == f"{thread.get_absolute_url()}?page=2#post-{posts[-1].pk}"


def test_authors_edit_their_post_within_the_window(logged_in, alice, bob, thread, settings):
    opening = thread.posts.get()
    url = reverse("community:edit_post", args=[opening.pk])
    assert logged_in(bob).get(url).status_code == 404  # not bob's post
    client = logged_in(alice)
    assert client.get(url).status_code == 200
    client.post(url, {"title": "Which tarot deck for a beginner?", "body": "I want to learn tarot, please help."})
    opening.refresh_from_db()
    thread.refresh_from_db()
    assert opening.edited_at and thread.title == "Which tarot deck for a beginner?"
    assert "edited" in client.get(thread.get_absolute_url()).content.decode()
    Post.objects.filter(pk=opening.pk).update(created_at=timezone.now() - timedelta(hours=1))
    late = client.get(url, follow=True)
    assert "Authors can edit a post for 15 minutes" in late.content.decode()


def test_members_flag_a_post_once_from_its_page(logged_in, bob, dave, thread):
    opening = thread.posts.get()
    client = logged_in(bob)
    url = reverse("community:flag_post", args=[opening.pk])
    assert client.get(url).status_code == 200
    done = client.post(url, {"reason": "spam", "note": "Looks like an advert"}, follow=True)
    assert "Staff will review this post" in done.content.decode()
    again = client.post(url, {"reason": "abuse"}, follow=True)
    assert "already reported" in again.content.decode()
    assert client.post(url, {"reason": "not-a-reason"}).status_code == 400
    assert Flag.objects.count() == 1
    assert "Reported" in client.get(thread.get_absolute_url()).content.decode()


def test_a_hidden_thread_is_seen_only_by_its_author_and_staff(client, logged_in, thread, alice, bob, carol):
    moderation.review_post(carol, thread.posts.get(), "hide", "Under review")
    assert client.get(thread.get_absolute_url()).status_code == 404
    assert logged_in(bob).get(thread.get_absolute_url()).status_code == 404
    own = logged_in(alice).get(thread.get_absolute_url())
    assert own.status_code == 200 and "only you and staff can see it" in own.content.decode()
    assert logged_in(carol).get(thread.get_absolute_url()).status_code == 200


def test_a_hidden_reply_shows_a_placeholder_to_others(client, thread, bob, carol):
    post = forum.reply(bob, thread, "Something rude")
    moderation.review_post(carol, post, "hide", "Rude")
    html = client.get(thread.get_absolute_url()).content.decode()
    assert "Something rude" not in html and "hidden while a moderator reviews it" in html


def test_a_locked_thread_shows_no_reply_form(logged_in, thread, bob, carol):
    moderation.set_thread_flags(carol, thread, locked=True)
    html = logged_in(bob).get(thread.get_absolute_url()).content.decode()
    assert 'id="reply-form"' not in html and "This thread is locked" in html
    refused = logged_in(bob).post(reverse("community:reply", args=[thread.pk]), {"body": "Let me in"})
    assert refused.status_code == 400 and "locked" in refused.content.decode()


def test_staff_lock_and_pin_from_the_thread_page(logged_in, thread, alice, carol):
    url = reverse("community:moderate_thread", args=[thread.pk])
    assert logged_in(alice).post(url, {"action": "lock"}).status_code == 404
    staff = logged_in(carol)
    assert "Lock thread" in staff.get(thread.get_absolute_url()).content.decode()
    staff.post(url, {"action": "lock"})
    staff.post(url, {"action": "pin"})
    staff.post(url, {"action": "explode"})
    thread.refresh_from_db()
    assert thread.locked and thread.pinned
    assert ModerationAction.objects.count() == 2


def test_a_suspended_member_sees_why_and_until_when(logged_in, alice, carol, thread):
    sanction = moderation.suspend(carol, alice, "Too many adverts", days=3)
    client = logged_in(alice)
    for url in [reverse("community:index"), thread.get_absolute_url(), reverse("messages:inbox")]:
        html = client.get(url).content.decode()
        assert 'id="standing-banner"' in html, url
        assert "suspended from posting and messaging until" in html and "Too many adverts" in html
        assert sanction.ends_at.strftime("%Y") in html
    refused = client.post(reverse("community:reply", args=[thread.pk]), {"body": "Let me post"})
    assert refused.status_code == 400 and "suspended" in refused.content.decode()


def test_moderation_queue_is_for_staff(client, logged_in, alice, carol):
    url = reverse("community:moderation")
    assert client.get(url).status_code == 302
    assert logged_in(alice).get(url).status_code == 404
    assert logged_in(carol).get(url).status_code == 200
    assert url in logged_in(carol).get(reverse("staff_dashboard")).content.decode()


def test_staff_act_from_the_queue(logged_in, thread, bob, dave, carol, alice, settings):
    settings.COMMUNITY_FLAGS_TO_HIDE = 2
    opening = thread.posts.get()
    moderation.flag_post(bob, opening, "spam", "An advert")
    moderation.flag_post(dave, opening, "spam")
    staff = logged_in(carol)
    queue = staff.get(reverse("community:moderation")).content.decode()
    assert "An advert" in queue and f'data-queue-post="{opening.pk}"' in queue
    url = reverse("community:moderate_post", args=[opening.pk])
    nothing = staff.post(url, {"action": "delete", "reason": ""}, follow=True)
    assert "Nothing was done" in nothing.content.decode()
    staff.post(url, {"action": "warn", "reason": "Please no adverts"})
    staff.post(url, {"action": "suspend", "reason": "Adverts again", "days": "3"})
    staff.post(url, {"action": "delete", "reason": "Advertising"})
    opening.refresh_from_db()
    assert opening.status == Visibility.DELETED
    assert [a.action for a in moderation.audit_trail()] == ["delete", "suspend", "warn", "auto_hide"]
    log = staff.get(reverse("community:moderation_log")).content.decode()
    assert "Adverts again" in log and "carol@example.com" in log
    assert staff.post("/community/moderation/post/999999999999999999/", {"action": "hide"}).status_code == 404
    assert logged_in(alice).post(url, {"action": "restore", "reason": "mine"}).status_code == 404


def test_staff_lift_a_sanction_from_the_queue(logged_in, alice, carol):
    sanction = moderation.ban(carol, alice, "Abuse")
    staff = logged_in(carol)
    assert "Abuse" in staff.get(reverse("community:moderation")).content.decode()
    staff.post(reverse("community:lift_sanction", args=[sanction.pk]), {"reason": "Appeal"})
    sanction.refresh_from_db()
    assert sanction.lifted_at is not None and sanction.lifted_by == carol


def test_the_navigation_links_to_community_and_messages(client, logged_in, alice):
    assert reverse("community:index") in client.get("/").content.decode()
    html = logged_in(alice).get("/").content.decode()
    assert reverse("messages:inbox") in html and "data-messages-unread" in html
