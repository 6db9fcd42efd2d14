"""Demo community for ``manage.py seed_demo``: a few believable threads and a private conversation
with a paid reply waiting. Idempotent: a thread is made once (by category and title), the demo
conversation once. Written straight to the models (backdated; rate limits are for people)."""

from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from community.models import Category, Conversation, Message, Post, Thread

# (category slug, author email, title, body, pinned, days ago, [(author email, body, hours after), ...])
THREADS = [
    (
        "announcements",
        "admin@soulseer.demo",
        "Welcome to the SoulSeer community",
        "Welcome! This is a place to share your experiences, ask readers questions and grow together.\n\n"
        "A few simple guidelines:\n"
        "- Be kind. Everyone here is on their own path.\n"
        "- Keep personal details (phone numbers, addresses, payment requests) off the forum.\n"
        "- Readings happen on SoulSeer, never off the site.\n\n"
        "If something feels wrong, use Report under the post and our team will take a look.",
        True,
        20,
        [],
    ),
    (
        "ask-a-reader",
        "client@soulseer.demo",
        "Do tarot cards work for yes/no questions?",
        "I keep asking the cards simple yes/no questions about a job offer and get confusing spreads. "
        "Is that just the wrong kind of question for tarot?",
        False,
        6,
        [
            (
                "luna@soulseer.demo",
                "Lovely question! Tarot can answer yes/no, but it shines when you ask “what do I need to know "
                "about…” instead. Try: “What should I consider before accepting this offer?” and pull three cards: "
                "the situation, the challenge, the advice.",
                2,
            ),
            (
                "orion@readers.soulseer.demo",
                "Agreeing with Luna. If you want timing, a birth chart transit reading pairs well with tarot for "
                "career questions.",
                5,
            ),
            ("client@soulseer.demo", "Thank you both! I tried the three-card spread and it made much more sense.", 30),
        ],
    ),
    (
        "spiritual-growth",
        "celeste@readers.soulseer.demo",
        "A five-minute grounding practice before a reading",
        "Before every session I do this:\n\n1. Feet flat on the floor, three slow breaths.\n"
        "2. Picture roots growing down into the earth.\n3. Set one clear intention for the reading.\n\n"
        "It helps clients too — you will get more from your reading when you arrive calm.",
        False,
        4,
        [("client@soulseer.demo", "Tried this before my reading last night. It really works!", 20)],
    ),
    (
        "readings",
        "client@soulseer.demo",
        "My first video reading — what to expect?",
        "I have only done chat readings so far. Anything I should prepare for a video reading?",
        False,
        2,
        [
            (
                "raven@readers.soulseer.demo",
                "Find a quiet spot, have your question written down, and check your camera and microphone first. "
                "The per-minute timer starts only once both of us are connected.",
                3,
            )
        ],
    ),
    (
        "general",
        "seraphina@readers.soulseer.demo",
        "What's your favourite crystal right now?",
        "Mine is rose quartz this month — gentle, steady energy. What are you all working with?",
        False,
        1,
        [
            ("client@soulseer.demo", "Amethyst on my nightstand. My dreams have been so vivid.", 4),
            ("sage@readers.soulseer.demo", "Black tourmaline for protection during busy weeks.", 6),
        ],
    ),
]


def _people(emails) -> dict[str, User]:
    return {u.email: u for u in User.objects.filter(email__in=set(emails))}


@transaction.atomic
def seed() -> int:
    """Make the demo threads and conversation that are missing; returns how many threads were made."""
    now = timezone.now()
    emails = [t[1] for t in THREADS] + [r[0] for t in THREADS for r in t[6]]
    people = _people(emails)
    categories = {c.slug: c for c in Category.objects.all()}
    made = 0
    for slug, author_email, title, body, pinned, days_ago, replies in THREADS:
        category, author = categories.get(slug), people.get(author_email)
        if category is None or author is None or Thread.objects.filter(category=category, title=title).exists():
            continue
        start = now - timedelta(days=days_ago)
        thread = Thread.objects.create(
            category=category,
            author=author,
            title=title,
            created_at=start,
            last_activity_at=start,
            last_author=author,
            pinned=pinned,
        )
        Post.objects.create(thread=thread, author=author, body=body, is_opening=True, created_at=start)
        last, last_author = start, author
        for reply_email, reply_body, hours in replies:
            replier = people.get(reply_email)
            if replier is None:
                continue
            last, last_author = start + timedelta(hours=hours), replier
            Post.objects.create(thread=thread, author=replier, body=reply_body, created_at=last)
        Thread.objects.filter(pk=thread.pk).update(
            reply_count=thread.posts.count() - 1, last_activity_at=last, last_author=last_author
        )
        made += 1
    _conversation(now)
    return made


def _conversation(now) -> None:
    """The demo client and Luna: a question, a free answer and a $3 paid reply waiting to be opened."""
    people = _people(["client@soulseer.demo", "luna@soulseer.demo"])
    client, reader = people.get("client@soulseer.demo"), people.get("luna@soulseer.demo")
    if client is None or reader is None or not reader.is_reader:
        return
    conversation, created = Conversation.objects.get_or_create(
        client=client, reader=reader, defaults={"created_at": now - timedelta(hours=5)}
    )
    if not created or conversation.messages.exists():
        return
    lines = [
        (
            client,
            reader,
            "Hi Luna! Could you tell me a little about what the year ahead holds for my love life?",
            None,
            "",
        ),
        (reader, client, "Of course, I'd love to. Let me sit with your cards tonight and I'll write back.", None, ""),
        (
            reader,
            client,
            "I pulled a full Celtic Cross for you. The Two of Cups sits in your near future — a meaningful "
            "connection that begins as a friendship. The Star in the outcome position asks you to stay open "
            "and hopeful; the Tower in your past shows that last year's ending cleared the way.",
            Decimal("3.00"),
            "Your Celtic Cross for the year ahead: a connection begins where you least expect it.",
        ),
    ]
    for minutes, (sender, recipient, body, price, teaser) in enumerate(lines):
        Message.objects.create(
            conversation=conversation,
            sender=sender,
            recipient=recipient,
            body=body,
            price=price,
            teaser=teaser,
            created_at=now - timedelta(hours=5) + timedelta(minutes=30 * minutes),
            read_at=now if recipient == reader else None,
        )
    Conversation.objects.filter(pk=conversation.pk).update(last_message_at=now - timedelta(hours=4))
