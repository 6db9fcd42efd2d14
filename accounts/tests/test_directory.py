from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.tests.factories import ReaderProfileFactory, SpecialtyFactory


def names(response):
    return [reader.display_name for reader in response.context["page"].object_list]


@pytest.fixture
def readers(db):
    tarot, astro = SpecialtyFactory(name="Tarot"), SpecialtyFactory(name="Astrology")
    luna = ReaderProfileFactory(
        display_name="Luna",
        chat_rate=Decimal("1.00"),
        voice_rate=None,
        video_rate=None,
        rating_average=Decimal("4.90"),
        availability="online",
    )
    orion = ReaderProfileFactory(
        display_name="Orion",
        chat_rate=Decimal("5.00"),
        voice_rate=Decimal("6.00"),
        video_rate=Decimal("7.00"),
        rating_average=Decimal("4.50"),
        availability="offline",
    )
    sage = ReaderProfileFactory(
        display_name="Sage",
        chat_rate=None,
        voice_rate=Decimal("2.00"),
        video_rate=Decimal("3.00"),
        rating_average=Decimal("4.70"),
        availability="busy",
    )
    luna.specialties.set([tarot])
    orion.specialties.set([astro, tarot])
    sage.specialties.set([astro])
    return luna, orion, sage


@pytest.mark.django_db
class TestFilters:
    def test_online_first_then_rating(self, client, readers):
        assert names(client.get(reverse("reader_directory"))) == ["Luna", "Sage", "Orion"]

    def test_by_specialty(self, client, readers):
        assert names(client.get(reverse("reader_directory"), {"specialty": "astrology"})) == ["Sage", "Orion"]

    def test_by_availability(self, client, readers):
        assert names(client.get(reverse("reader_directory"), {"availability": "online"})) == ["Luna"]

    def test_by_reading_type(self, client, readers):
        assert names(client.get(reverse("reader_directory"), {"type": "video", "sort": "price_low"})) == [
            "Sage",
            "Orion",
        ]

    def test_by_max_price_of_the_chosen_type(self, client, readers):
        assert names(client.get(reverse("reader_directory"), {"type": "voice", "max_price": "2.50"})) == ["Sage"]

    def test_by_max_price_of_any_type(self, client, readers):
        assert names(client.get(reverse("reader_directory"), {"max_price": "2.00", "sort": "price_low"})) == [
            "Luna",
            "Sage",
        ]

    def test_sort_by_rating(self, client, readers):
        assert names(client.get(reverse("reader_directory"), {"sort": "rating"})) == ["Luna", "Sage", "Orion"]

    def test_sort_by_price_high(self, client, readers):
        assert names(client.get(reverse("reader_directory"), {"sort": "price_high"})) == ["Orion", "Sage", "Luna"]

    def test_search_matches_specialty_names_without_duplicates(self, client, readers):
        assert names(client.get(reverse("reader_directory"), {"q": "tar"})) == ["Luna", "Orion"]

    def test_a_bad_filter_shows_an_error_not_a_crash(self, client, readers):
        response = client.get(reverse("reader_directory"), {"max_price": "-4", "specialty": "nope"})
        assert response.status_code == 200
        assert "Select a valid choice" in response.content.decode()

    def test_htmx_gets_only_the_results_fragment(self, client, readers):
        response = client.get(reverse("reader_directory"), {"availability": "online"}, HTTP_HX_REQUEST="true")
        body = response.content.decode()
        assert "Luna" in body and "<html" not in body


@pytest.mark.django_db
def test_query_count_does_not_grow_with_the_number_of_readers(client, django_assert_max_num_queries, settings):
    settings.SOULSEER_DIRECTORY_PAGE_SIZE = 50
    tarot = SpecialtyFactory(name="Tarot")

    def add(n):
        for reader in ReaderProfileFactory.create_batch(n):
            reader.specialties.set([tarot])

    add(3)
    with django_assert_max_num_queries(100) as few:
        client.get(reverse("reader_directory"))
    add(40)
    with django_assert_max_num_queries(len(few.captured_queries)) as many:
        response = client.get(reverse("reader_directory"))
    assert len(response.context["page"].object_list) == 43
    assert len(many.captured_queries) == len(few.captured_queries)


@pytest.mark.django_db
def test_profile_page_shows_rates_and_hides_unlisted_readers(client, readers):
    luna, orion, _ = readers
    response = client.get(luna.get_absolute_url())
    assert response.status_code == 200
    assert "Luna" in response.content.decode() and "1.00" in response.content.decode()
    orion.user.is_active = False
    orion.user.save()
    assert client.get(orion.get_absolute_url()).status_code == 404


@pytest.mark.django_db
def test_visitors_share_the_listing_for_a_few_seconds_and_members_see_their_own(
    client, settings, django_assert_max_num_queries, alice
):
    """The listings are remembered per process for SOULSEER_LISTING_CACHE_SECONDS: a second visitor
    costs no listing query, and a change shows once the window passes. Signed-in people get the same
    listing with buttons of their own (never a visitor's cached page)."""
    from django.core.cache import cache

    settings.SOULSEER_LISTING_CACHE_SECONDS = 60
    first = ReaderProfileFactory(display_name="Astra Vale")
    client.get(reverse("reader_directory"))
    with django_assert_max_num_queries(1):  # at most the session lookup; no reader query
        response = client.get(reverse("reader_directory"))
    assert "Astra Vale" in response.content.decode()
    first.display_name = "Astra Renamed"
    first.save()
    assert "Astra Vale" in client.get(reverse("reader_directory")).content.decode()  # within the window
    client.force_login(alice)
    member_page = client.get(reverse("reader_directory")).content.decode()
    assert "Astra Vale" in member_page and 'name="csrfmiddlewaretoken"' in member_page  # their own heart form
    client.logout()
    cache.clear()  # the window passed
    assert "Astra Renamed" in client.get(reverse("reader_directory")).content.decode()
