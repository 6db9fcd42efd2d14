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
