"""seed_demo fills the community once; the admin lists everything and its actions go through the services."""

import pytest
from django.core.management import call_command
from django.urls import reverse

from community.models import Conversation, Message, ModerationAction, Post, Thread
from community.services import forum


@pytest.mark.django_db(transaction=True)
def test_seed_demo_adds_believable_threads_once(categories, settings):
    settings.DEBUG = True  # the development path (seed_demo refuses with DEBUG off)
    call_command("seed_demo", verbosity=0)
    threads, posts, msgs = Thread.objects.count(), Post.objects.count(), Message.objects.count()
    assert threads >= 5 and posts > threads
    assert Thread.objects.filter(category__slug="announcements", pinned=True, author__is_staff=True).exists()
    assert Thread.objects.filter(category__slug="ask-a-reader", posts__author__role="reader").exists()
    assert Conversation.objects.count() == 1 and Message.objects.filter(price__isnull=False, paid_at=None).count() == 1
    call_command("seed_demo", verbosity=0)
    assert (Thread.objects.count(), Post.objects.count(), Message.objects.count()) == (threads, posts, msgs)
    for thread in Thread.objects.all():
        assert thread.reply_count == thread.posts.count() - 1


def test_the_admin_lists_the_community_and_locks_through_the_service(client, carol, general, alice):
    thread = forum.create_thread(alice, general, "Admin thread", "Body")
    client.force_login(carol)
    for model in [
        "category",
        "thread",
        "post",
        "flag",
        "sanction",
        "moderationaction",
        "conversation",
        "message",
        "block",
    ]:
        assert client.get(reverse(f"admin:community_{model}_changelist")).status_code == 200, model
    client.post(reverse("admin:community_thread_changelist"), {"action": "lock", "_selected_action": [thread.pk]})
    thread.refresh_from_db()
    assert thread.locked
    row = ModerationAction.objects.get()
    assert row.action == "lock" and row.actor == carol
    assert client.get(reverse("admin:community_moderationaction_add")).status_code == 403
