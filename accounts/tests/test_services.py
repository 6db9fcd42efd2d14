import pytest

from accounts import services
from accounts.models import ReaderProfile, User


@pytest.mark.django_db
class TestMakeReader:
    def test_turns_a_client_into_a_reader_with_a_profile(self, alice):
        profile = services.make_reader(alice, display_name="Madame Alice")
        alice.refresh_from_db()
        assert alice.role == User.Role.READER
        assert profile.display_name == "Madame Alice"
        assert profile.slug == "madame-alice"

    def test_is_idempotent(self, alice):
        first = services.make_reader(alice, display_name="Madame Alice")
        second = services.make_reader(alice, display_name="Another Name")
        assert first.pk == second.pk
        assert ReaderProfile.objects.filter(user=alice).count() == 1

    def test_slugs_stay_unique(self, alice, bob):
        services.make_reader(alice, display_name="Bob the Seer")
        assert alice.reader_profile.slug != bob.reader_profile.slug

    def test_refuses_an_admin(self, carol):
        with pytest.raises(ValueError):
            services.make_reader(carol)


@pytest.mark.django_db
class TestEnsureAdmin:
    def test_creates_then_changes_nothing(self):
        user, created = services.ensure_admin("Owner@Example.com")
        assert created and user.is_admin and user.is_superuser
        assert not user.has_usable_password()
        again, created_again = services.ensure_admin("owner@example.com")
        assert again.pk == user.pk and not created_again
        assert User.objects.filter(email="owner@example.com").count() == 1

    def test_promotes_an_existing_user(self, alice):
        user, created = services.ensure_admin(alice.email)
        assert not created and user.pk == alice.pk and user.is_staff


@pytest.mark.django_db
def test_availability_only_takes_known_values(bob):
    profile = bob.reader_profile
    services.set_availability(profile, "offline")
    profile.refresh_from_db()
    assert profile.availability == "offline"
    with pytest.raises(ValueError):
        services.set_availability(profile, "asleep")
