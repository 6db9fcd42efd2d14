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
