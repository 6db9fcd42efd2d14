"""Query counts do not grow with the rows shown: the thread list, a long thread, the inbox, a
conversation and the moderation queue each cost the same with few rows as with many."""

from datetime import timedelta
from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import ClientProfile
from accounts.tests.factories import ReaderProfileFactory, UserFactory
from community.models import Post, Thread
from community.services import forum, messages, moderation


def queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries)


def people(n: int):
    """n members of every kind: readers, clients sharing a name, anonymous clients."""
    made = []
    for i in range(n):
        if i % 3 == 0:
            made.append(ReaderProfileFactory().user)
        else:
            user = UserFactory()
            if i % 3 == 1:
                ClientProfile.objects.update_or_create(user=user, defaults={"share_name": True})
            made.append(user)
    return made


def add_threads(category, authors, count, start):
    for i in range(count):
        author = authors[i % len(authors)]
        thread = Thread.objects.create(
            category=category,
            author=author,
            title=f"Thread number {i}",
            created_at=start,
            last_activity_at=start + timedelta(minutes=i),
            last_author=authors[(i + 1) % len(authors)],
            reply_count=1,
            pinned=i % 7 == 0,
        )
        Post.objects.create(thread=thread, author=author, body="Opening", is_opening=True, created_at=start)


def test_the_thread_list_costs_the_same_for_2_or_20_threads(client, django_assert_num_queries, general, settings):
    settings.COMMUNITY_THREADS_PER_PAGE = 20
    authors = people(6)
    start = timezone.now() - timedelta(days=1)
    add_threads(general, authors, 2, start)
    url = reverse("community:category", args=["general"])
    client.force_login(authors[1])
    few = queries(client, url)
    add_threads(general, authors, 18, start)
    with django_assert_num_queries(few):
        response = client.get(url)
    assert response.content.decode().count("data-thread=") == 20
    index = queries(client, reverse("community:index"))
    add_threads(general, authors, 10, start)
    with django_assert_num_queries(index):
        client.get(reverse("community:index"))


def test_a_long_thread_costs_the_same_per_page(client, django_assert_num_queries, general, settings):
    settings.COMMUNITY_POSTS_PER_PAGE = 20
    settings.COMMUNITY_POSTS_PER_MINUTE = 0
    authors = people(6)
    start = timezone.now() - timedelta(hours=2)
    thread = forum.create_thread(authors[0], general, "A long conversation", "Opening post", now=start)
    forum.reply(authors[1], thread, "One reply", now=start + timedelta(seconds=1))
    client.force_login(authors[2])
    few = queries(client, thread.get_absolute_url())
    previous = thread.posts.first()
    for i in range(2, 60):
        post = forum.reply(authors[i % 6], thread, f"Reply {i}", quote=previous, now=start + timedelta(seconds=i))
        if i % 5 == 0:
            moderation.flag_post(authors[(i + 1) % 6], post, "spam")
        previous = post
    with django_assert_num_queries(few):
        response = client.get(thread.get_absolute_url(), {"page": 2})
    assert response.content.decode().count("data-post=") == 20
    with django_assert_num_queries(few):
        client.get(thread.get_absolute_url())


def test_the_inbox_and_a_conversation_cost_the_same_for_few_or_many(db, client, django_assert_num_queries, settings):
    settings.COMMUNITY_MESSAGES_PER_MINUTE = 0
    reader = ReaderProfileFactory().user
    clients = [UserFactory() for _ in range(12)]
    messages.send_message(clients[0], reader, "First")
    client.force_login(reader)
    inbox = queries(client, reverse("messages:inbox"))
    conversation = messages.conversation_between(reader, clients[0])
    page = queries(client, conversation.get_absolute_url())
    for n, person in enumerate(clients):
        messages.send_message(person, reader, f"Hello {n}")
        messages.send_message(reader, person, f"A paid answer {n}", price=Decimal("2.00"))
    for n in range(30):
        messages.send_message(clients[0], reader, f"More {n}")
    with django_assert_num_queries(inbox):
        client.get(reverse("messages:inbox"))
    with django_assert_num_queries(page):
        client.get(conversation.get_absolute_url())


def test_the_moderation_queue_costs_the_same_for_few_or_many(client, django_assert_num_queries, general, carol):
    authors = people(6)
    flaggers = [UserFactory() for _ in range(4)]
    thread = forum.create_thread(authors[0], general, "Reported thread", "Body")
    moderation.flag_post(flaggers[0], thread.posts.get(), "spam")
    client.force_login(carol)
    few = queries(client, reverse("community:moderation"))
    for i in range(12):
        post = Post.objects.create(thread=thread, author=authors[i % 6], body=f"Reply {i}")
        for flagger in flaggers[: 1 + i % 4]:
            moderation.flag_post(flagger, post, "abuse", "Rude")
    moderation.suspend(carol, authors[1], "Rude", days=2)
    moderation.ban(carol, authors[2], "Rude")
    with django_assert_num_queries(few):  # sanctions and the latest actions are listed in constant queries too
        client.get(reverse("community:moderation"))
