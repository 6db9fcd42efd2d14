import pytest
from django.urls import reverse

from soulseer.views import POLICY_PAGES


@pytest.mark.django_db
def test_home_lists_readers_online_now(client, bob):
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert "Bob the Seer" in response.content.decode()
    assert bob.reader_profile in response.context["online_readers"]


@pytest.mark.django_db
def test_home_leaves_offline_readers_out_of_online_now(client, bob):
    bob.reader_profile.availability = "offline"
    bob.reader_profile.save()
    assert bob.reader_profile not in client.get(reverse("home")).context["online_readers"]


@pytest.mark.django_db
@pytest.mark.parametrize("page", POLICY_PAGES)
def test_policy_pages(client, page):
    response = client.get(reverse("policy", args=[page]))
    assert response.status_code == 200
    assert POLICY_PAGES[page] in response.content.decode()


@pytest.mark.django_db
def test_unknown_pages_get_the_branded_404(client):
    response = client.get("/about/nothing-here/")
    assert response.status_code == 404
    assert "SoulSeer" in response.content.decode()


@pytest.mark.django_db
def test_pages_load_nothing_from_other_sites(client, bob):
    body = client.get(reverse("home")).content.decode()
    for tag in ('src="http', 'href="http', "url(http"):
        assert tag not in body


def test_robots_txt_keeps_crawlers_out_of_private_pages(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/plain")
    body = response.content.decode()
    assert "Disallow: /django-admin/" in body and "Disallow: /wallet/" in body
    assert "Disallow: /readers/" not in body  # the directory is public
