from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from accounts.models import ClientProfile, ReaderProfile, User
from accounts.tests.factories import ReaderProfileFactory, UserFactory


@pytest.mark.django_db
class TestUser:
    def test_signing_up_makes_a_client_with_a_profile(self):
        user = User.objects.create_user(email="New@Example.COM", password="x-y-z-123456")
        assert user.role == User.Role.CLIENT
        assert user.email == "new@example.com"
        assert ClientProfile.objects.filter(user=user).exists()

    def test_superuser_is_an_admin(self):
        user = User.objects.create_superuser(email="boss@example.com", password="x")
        assert user.is_admin and user.is_staff and user.is_superuser

    def test_database_refuses_an_unknown_role(self, alice):
        with pytest.raises(IntegrityError), transaction.atomic():
            User.objects.filter(pk=alice.pk).update(role="wizard")

    def test_database_refuses_an_admin_without_staff(self, alice):
        with pytest.raises(IntegrityError), transaction.atomic():
            User.objects.filter(pk=alice.pk).update(role="admin", is_staff=False)

    def test_email_is_unique(self, alice):
        with pytest.raises(IntegrityError), transaction.atomic():
            User.objects.create_user(email="alice@example.com", password="x")


@pytest.mark.django_db
class TestPrivacy:
    def test_a_client_is_anonymous_by_default(self, alice):
        assert alice.public_name == f"Client #{alice.pk}"

    def test_a_client_who_shares_their_name_shows_it(self, alice):
        alice.client_profile.share_name = True
        alice.client_profile.save()
        assert alice.public_name == "Alice"

    def test_a_reader_shows_their_display_name(self, bob):
        assert bob.public_name == "Bob the Seer"


@pytest.mark.django_db
class TestReaderProfile:
    @pytest.mark.parametrize("field", ["chat_rate", "voice_rate", "video_rate"])
    @pytest.mark.parametrize("rate", ["0.49", "50.01", "-1.00"])
    def test_database_refuses_rates_out_of_range(self, bob, field, rate):
        with pytest.raises(IntegrityError), transaction.atomic():
            ReaderProfile.objects.filter(user=bob).update(**{field: Decimal(rate)})

    def test_a_missing_rate_means_not_offered(self):
        reader = ReaderProfileFactory(voice_rate=None)
        assert [kind for kind, _ in reader.offered_rates] == ["chat", "video"]
        assert reader.lowest_rate == Decimal("2.00")

    def test_database_refuses_an_unknown_availability(self, bob):
        with pytest.raises(IntegrityError), transaction.atomic():
            ReaderProfile.objects.filter(user=bob).update(availability="sleeping")

    def test_reader_profile_is_not_listed_once_the_role_is_gone(self):
        reader = ReaderProfileFactory()
        assert ReaderProfile.objects.listed().filter(pk=reader.pk).exists()
        User.objects.filter(pk=reader.user_id).update(role="client")
        assert not ReaderProfile.objects.listed().filter(pk=reader.pk).exists()

    def test_user_factory_makes_usable_logins(self):
        user = UserFactory()
        assert user.check_password("correct-horse-battery")
