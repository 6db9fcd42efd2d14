import pytest

from accounts import services
from accounts.models import Favourite

pytestmark = pytest.mark.django_db


def test_favourite_is_idempotent_and_removable(alice, bob):
    reader = bob.reader_profile
    services.add_favourite(alice, reader)
    services.add_favourite(alice, reader)
    assert Favourite.objects.filter(client=alice).count() == 1
    assert services.favourite_reader_ids(alice) == {reader.pk}
    assert list(services.fans_of(reader)) == [alice]
    services.remove_favourite(alice, reader)
    services.remove_favourite(alice, reader)
    assert services.favourite_reader_ids(alice) == set()


def test_only_clients_keep_favourites(bob):
    with pytest.raises(ValueError):
        services.add_favourite(bob, bob.reader_profile)
    assert not Favourite.objects.exists()


def test_the_heart_adds_and_removes_a_favourite(client, alice, bob):
    from django.urls import reverse

    client.force_login(alice)
    url = reverse("favourite", args=["bob-the-seer"])
    response = client.post(url, {"action": "add", "next": "/readers/"})
    assert response.status_code == 302 and response.url == "/readers/"
    assert services.favourite_reader_ids(alice) == {bob.reader_profile.pk}
    fragment = client.post(url, {"action": "remove"}, headers={"HX-Request": "true"}).content.decode()
    assert 'aria-pressed="false"' in fragment and "<html" not in fragment
    assert services.favourite_reader_ids(alice) == set()
    assert client.post(url, {"action": "add", "next": "https://evil.example/"}).url == "/readers/bob-the-seer/"


def test_readers_and_visitors_cannot_favourite(client, bob):
    from django.urls import reverse

    url = reverse("favourite", args=["bob-the-seer"])
    assert client.post(url).status_code == 302  # to the login page
    client.force_login(bob)
    assert client.post(url).status_code == 403
    assert not Favourite.objects.exists()


def test_favourites_come_first_on_the_dashboard(client, alice, bob):
    from django.urls import reverse

    from accounts.tests.factories import ReaderProfileFactory

    other = ReaderProfileFactory(display_name="Zara Online")
    services.add_favourite(alice, bob.reader_profile)
    client.force_login(alice)
    html = client.get(reverse("client_dashboard")).content.decode()
    assert "Your favourites" in html
    assert html.index("Bob the Seer") < html.index("Zara Online")
    assert html.index("favourite-readers") < html.index("Readers online now")
    assert other.display_name in html
