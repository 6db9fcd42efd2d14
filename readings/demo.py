"""Demo reading history for ``manage.py seed_demo``: the ended readings and the reviews behind every
demo rating, so averages and counts are always computed from stored reviews (and a new real review
moves them like any other). The demo history is paid through the ledger (demo credit, then one charge
per reader and client), so ``verify_ledger`` stays clean and readers' earnings reflect their history.

Deterministic per reader (seeded by name) and idempotent: a reader who already has reviews is skipped.
"""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from accounts.models import ClientProfile, ReaderProfile, User
from payments import services as payments
from readings.models import Reading, Review
from readings.services import recompute_rating

DEMO_CLIENT_NAMES = [
    "Maya", "Jordan", "Priya", "Elena", "Sam", "Chloe", "Marcus", "Aisha",
    "Rosa", "Hannah", "Leo", "Imani", "Grace", "Tariq", "Nina", "Yuki",
]  # fmt: skip

COMMENTS = {
    5: [
        "{name} picked up on things I had told no one. I left the reading calmer than I have felt in months.",
        "Warm, honest and so accurate about my relationship. The timing she gave me for the change was spot on.",
        "Third reading with {name} and every time the cards make sense of what is happening. Highly recommend.",
        "I came in anxious about a job offer and left with real clarity. Kind, direct, no fluff.",
        "Incredibly gentle with a hard topic. I felt heard, and the advice was practical too.",
        "Answered every question without rushing me. Worth every minute.",
        "Described my late grandmother's kitchen in detail. I am still amazed.",
        "Clear, compassionate and funny. I have already booked again.",
        "Straight to the point and the reading matched what happened the following week.",
        "The most balanced reading I have had: hopeful but realistic.",
    ],
    4: [
        "A good reading with useful insight into my career. The connection dropped once but we picked up fine.",
        "Very kind and thoughtful. Some of it did not resonate yet, but most of it really did.",
        "Helpful perspective on my family situation. I would have liked a little more detail on timing.",
        "Lovely energy. The first half was slow but the second half was spot on.",
        "Good value for a short chat; clear answers to the two questions I had.",
    ],
    3: [
        "Pleasant, but quite general. Some parts fit, others not really.",
        "Nice person, though the reading felt rushed at the end.",
        "Okay reading. I expected a bit more depth for the price.",
    ],
    2: [
        "Not much of it matched my situation. Polite, though.",
        "Felt generic; we ran out of time before my main question.",
    ],
    1: ["Did not connect with this reading at all, unfortunately."],
}

# How long demo readings last (minutes), and how many readings end without a review.
MINUTES = (4, 35)
UNREVIEWED_SHARE = 0.25
HISTORY_DAYS = 540


def _ratings(rng: random.Random, target: Decimal, count: int) -> list[int]:
    """``count`` star ratings whose average rounds to ``target``, with a believable spread."""
    ratings = [5] * count
    deficit = round((5 - float(target)) * count)
    while deficit > 0:
        i = rng.randrange(count)
        drop = rng.choices([1, 2, 3, 4], weights=[80, 12, 5, 3])[0]
        drop = min(drop, ratings[i] - 1, deficit)
        if drop <= 0:
            continue
        ratings[i] -= drop
        deficit -= drop
    rng.shuffle(ratings)
    return ratings


def _demo_clients() -> list[User]:
    clients = []
    for n, name in enumerate(DEMO_CLIENT_NAMES):
        email = f"{name.lower()}@clients.soulseer.demo"
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User.objects.create(email=email, first_name=name, password=make_password(None))
        ClientProfile.objects.update_or_create(user=user, defaults={"share_name": n % 3 != 0})
        clients.append(user)
    return clients


def seed_reading_history(targets: dict[str, tuple[Decimal, int]]) -> int:
    """``targets``: reader display name → (target average, number of reviews). Returns reviews made."""
    clients = _demo_clients()
    made, readings = 0, []
    with transaction.atomic():
        for profile in ReaderProfile.objects.filter(display_name__in=targets).select_related("user"):
            if Review.objects.filter(reader=profile.user).exists():
                recompute_rating(profile.user_id)
                continue
            target, count = targets[profile.display_name]
            made_readings, made_reviews = _seed_reader(profile, Decimal(str(target)), count, clients)
            readings += made_readings
            made += made_reviews
        _pay_for(readings, clients)
    return made


def _pay_for(readings: list[Reading], clients: list[User]) -> None:
    """The money of the demo history, through the ledger: demo credit per client, then one charge per
    (reader, client) covering their readings (keys ``demo:history:…``), so ``verify_ledger`` holds and
    readers' earnings match their history."""
    by_id = {c.pk: c for c in clients}
    pairs: dict[tuple[int, int], list[Reading]] = {}
    for reading in readings:
        pairs.setdefault((reading.reader_id, reading.client_id), []).append(reading)
    credit: dict[int, Decimal] = {}
    for (_reader_id, client_id), group in pairs.items():
        credit[client_id] = credit.get(client_id, Decimal("0.00")) + sum(r.total_charged for r in group)
    stamp = timezone.now().strftime("%Y%m%d%H%M%S")
    for client_id, amount in credit.items():
        payments.credit_wallet(
            by_id[client_id],
            amount,
            key=f"demo:history:{client_id}:{stamp}",
            memo="Demo credit for past readings",
            kind="adjustment",
            reference="demo",
        )
    readers = {r.reader_id: r.reader for r in readings}
    for (reader_id, client_id), group in pairs.items():
        payments.charge(
            by_id[client_id],
            readers[reader_id],
            sum(r.total_charged for r in group),
            key=f"demo:history:{reader_id}:{client_id}:{group[0].pk}",
            memo=f"{len(group)} past reading(s) (demo history)",
            reference="demo",
        )


def _seed_reader(profile: ReaderProfile, target: Decimal, count: int, clients: list[User]) -> tuple[list, int]:
    rng = random.Random(f"history:{profile.display_name}")
    offered = profile.offered_rates
    now = timezone.now().replace(second=0, microsecond=0)
    ratings = _ratings(rng, target, count)
    total = count + round(count * UNREVIEWED_SHARE)
    ages = sorted((rng.uniform(0.5, HISTORY_DAYS) for _ in range(total)), reverse=True)
    readings = []
    for age in ages:
        kind, rate = rng.choice(offered)
        minutes = rng.randint(*MINUTES)
        started = now - timedelta(days=age)
        readings.append(
            Reading(
                client=rng.choice(clients),
                reader=profile.user,
                type=kind,
                rate=rate,
                status=Reading.Status.ENDED,
                requested_at=started - timedelta(seconds=40),
                accepted_at=started - timedelta(seconds=20),
                started_at=started,
                ended_at=started + timedelta(minutes=minutes),
                end_reason="client",
                billed_minutes=minutes,
                duration_seconds=minutes * 60 - rng.randint(5, 50),
                total_charged=rate * minutes,
                reader_share=payments.split(rate)[0] * minutes,  # as the engine bills: per minute
            )
        )
    readings = Reading.objects.bulk_create(readings)
    reviewed = sorted(rng.sample(range(len(readings)), count))
    reviews = []
    for rating, index in zip(ratings, reviewed, strict=True):
        reading = readings[index]
        comment = (
            rng.choice(COMMENTS[rating]).format(name=profile.display_name.split()[0]) if rng.random() < 0.9 else ""
        )
        reviews.append(
            Review(
                reading=reading,
                client_id=reading.client_id,
                reader=profile.user,
                rating=rating,
                comment=comment,
                created_at=reading.ended_at + timedelta(minutes=rng.randint(1, 600)),
            )
        )
    reviews = Review.objects.bulk_create(reviews)
    # A reader answers some reviews (the newest few, and most of the unhappy ones).
    first = profile.display_name.split()[0]
    for review in reviews[-3:] + [r for r in reviews if r.rating <= 3][:4]:
        if review.replied_at is None:
            review.reply = (
                f"Thank you so much for your kind words — it was a joy to read for you. Love, {first}"
                if review.rating >= 4
                else f"Thank you for the honest feedback. I am sorry it did not land this time; "
                f"message me and I will gladly look again. {first}"
            )
            review.replied_at = review.created_at + timedelta(hours=rng.randint(2, 48))
            review.save(update_fields=["reply", "replied_at"])
    recompute_rating(profile.user_id)
    return readings, len(reviews)
