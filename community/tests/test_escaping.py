"""Hostile text in posts, titles, quotes, flags, messages and previews is shown as text, never as HTML;
``javascript:`` never becomes a link; long words wrap instead of stretching the page."""

from decimal import Decimal

from django.urls import reverse

from community.services import forum, messages, moderation
from community.templatetags.community_extras import plain_text

HOSTILE = [
    "<script>alert('x')</script>",
    '<img src=x onerror="alert(1)">',
    '<a href="javascript:alert(1)">click</a>',
    "javascript:alert(document.cookie)",
    "[click me](javascript:alert(1))",
    '"><svg onload=alert(1)>',
]
LONG_WORD = "a" * 600


def assert_inert(html: str) -> None:
    assert "<script>alert" not in html
    assert "<img src=x" not in html and "<svg onload" not in html
    assert 'href="javascript:' not in html.lower()
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html


def test_plain_text_escapes_then_links_and_breaks_lines():
    assert plain_text("<b>hi</b>\nthere") == "&lt;b&gt;hi&lt;/b&gt;<br>there"
    linked = plain_text("See https://soulseer.example/help?a=1&b=2 now")
    assert '<a href="https://soulseer.example/help?a=1&amp;b=2" rel="nofollow">' in linked
    assert "href" not in plain_text("javascript:alert(1)")
    assert 'href="javascript' not in plain_text('<a href="javascript:alert(1)">x</a>')
    long_url = "https://example.com/" + "p" * 200
    assert "…" in plain_text(long_url) and long_url in plain_text(long_url)  # shown shortened, linked whole


def test_hostile_posts_titles_and_quotes_render_as_text(logged_in, general, alice, bob):
    body = "\n".join(HOSTILE) + "\n" + LONG_WORD
    thread = forum.create_thread(alice, general, "<script>alert('x')</script> title", body)
    forum.reply(bob, thread, "Quoting it", quote=thread.posts.get())
    for html in [
        logged_in(bob).get(thread.get_absolute_url()).content.decode(),
        logged_in(bob).get(reverse("community:category", args=["general"])).content.decode(),
        logged_in(bob).get(reverse("community:search"), {"q": "alert"}).content.decode(),
    ]:
        assert_inert(html)
    page = logged_in(bob).get(thread.get_absolute_url()).content.decode()
    assert "[overflow-wrap:anywhere]" in page and LONG_WORD in page  # wraps instead of overflowing


def test_hostile_flags_reasons_and_audit_rows_render_as_text(logged_in, general, alice, bob, carol):
    thread = forum.create_thread(bob, general, "A normal thread", "Normal body")
    moderation.flag_post(alice, thread.posts.get(), "other", "<script>alert('x')</script>")
    moderation.suspend(carol, alice, "<script>alert('x')</script>", days=1)
    for html in [
        logged_in(carol).get(reverse("community:moderation")).content.decode(),
        logged_in(carol).get(reverse("community:moderation_log")).content.decode(),
        logged_in(alice).get(reverse("community:index")).content.decode(),  # the member's banner
    ]:
        assert_inert(html)


def test_hostile_messages_and_previews_render_as_text(logged_in, alice, bob):
    messages.send_message(alice, bob, "\n".join(HOSTILE) + "\n" + LONG_WORD)
    messages.send_message(bob, alice, "Locked body", price=Decimal("3.00"), teaser="<script>alert('x')</script>")
    messages.send_message(bob, alice, "<script>alert('x')</script> and more words here", price=Decimal("3.00"))
    conversation = alice.conversations_as_client.get()
    for user in (alice, bob):
        html = logged_in(user).get(conversation.get_absolute_url()).content.decode()
        assert_inert(html)
        assert "[overflow-wrap:anywhere]" in html
    inbox = logged_in(bob).get(reverse("messages:inbox")).content.decode()
    assert "<script>alert" not in inbox
