from decimal import Decimal

import pytest
from allauth.account.models import EmailAddress
from django.core.management import call_command

from accounts.models import ReaderProfile, User
from payments.services import balance


@pytest.mark.django_db
def test_seed_demo_makes_a_believable_demo_once(settings, capsys):
    settings.DEBUG = True  # the development path (pytest-django turns DEBUG off; seed_demo refuses then)
    call_command("seed_demo")
    out = capsys.readouterr().out
    assert "client@soulseer.demo" in out and "soulseer-demo-2026" in out
    readers = ReaderProfile.objects.all()
    assert readers.count() == 12
    assert readers.filter(availability="online").exists()
    assert all(r.photo and r.specialties.exists() and r.offered_rates for r in readers)
    assert EmailAddress.objects.filter(email="client@soulseer.demo", verified=True).exists()
    users = User.objects.count()
    demo_client = User.objects.get(email="client@soulseer.demo")
    assert balance(demo_client) == Decimal("50.00")

    call_command("seed_demo")
    assert ReaderProfile.objects.count() == 12
    assert User.objects.count() == users
    assert balance(demo_client) == Decimal("50.00")


@pytest.mark.django_db
def test_seed_demo_ratings_are_computed_from_stored_reviews(settings):
    settings.DEBUG = True  # the development path (seed_demo refuses with DEBUG off)
    from django.core.management import call_command as run
    from django.db.models import Avg, Count

    from readings import services
    from readings.models import Reading, Review
    from readings.tests.helpers import verify_ledger

    call_command("seed_demo")
    for profile in ReaderProfile.objects.all():
        stats = Review.objects.filter(reader=profile.user).aggregate(avg=Avg("rating"), n=Count("pk"))
        assert profile.review_count == stats["n"] > 0
        assert profile.rating_average == Decimal(str(stats["avg"])).quantize(Decimal("0.01"))
        ratings = set(Review.objects.filter(reader=profile.user).values_list("rating", flat=True))
        assert profile.review_count < 10 or len(ratings) > 1  # a believable spread, not all fives
        assert Reading.objects.filter(reader=profile.user, status="ended").count() > profile.review_count
    luna = ReaderProfile.objects.get(display_name="Luna Marie")
    assert luna.rating_average == Decimal("4.92") and Review.objects.filter(reader=luna.user).exclude(reply="").exists()
    verify_ledger()  # the demo history was paid through the ledger

    # A new real review moves the numbers like any other.
    before = (luna.review_count, luna.rating_average)
    reading = Reading.objects.filter(reader=luna.user, review__isnull=True).first()
    services.leave_review(reading, reading.client, 1, "Not for me")
    luna.refresh_from_db()
    assert luna.review_count == before[0] + 1 and luna.rating_average < before[1]
    run("seed_demo")  # again: nothing added, nothing recomputed wrongly
    luna.refresh_from_db()
    assert luna.review_count == before[0] + 1


@pytest.mark.django_db
def test_ensure_admin_uses_the_setting_and_is_idempotent(settings, capsys):
    settings.ADMIN_EMAIL = "ops@example.com"
    call_command("ensure_admin")
    call_command("ensure_admin")
    assert User.objects.filter(email="ops@example.com", role="admin", is_superuser=True).count() == 1
    assert "Created admin" in capsys.readouterr().out


@pytest.mark.django_db
def test_ensure_admin_without_an_email_does_nothing(settings, capsys):
    settings.ADMIN_EMAIL = ""
    call_command("ensure_admin")
    assert not User.objects.filter(role="admin").exists()
