"""Each role against each protected page: the right role gets in, a wrong role a 403, anonymous a log-in."""

import pytest
from django.urls import reverse

PAGES = {
    "client_dashboard": "client",
    "reader_dashboard": "reader",
    "staff_dashboard": "admin",
}


@pytest.fixture
def people(alice, bob, carol):
    return {"client": alice, "reader": bob, "admin": carol}


@pytest.mark.django_db
@pytest.mark.parametrize("url_name", PAGES)
def test_anonymous_visitors_are_sent_to_log_in(client, url_name):
    response = client.get(reverse(url_name))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


@pytest.mark.django_db
@pytest.mark.parametrize("url_name,allowed", PAGES.items())
@pytest.mark.parametrize("role", ["client", "reader", "admin"])
def test_each_role_reaches_only_its_own_pages(client, people, url_name, allowed, role):
    client.force_login(people[role])
    response = client.get(reverse(url_name))
    if role == allowed:
        assert response.status_code == 200
    else:
        assert response.status_code == 403
        assert b"not available to your account" in response.content


@pytest.mark.django_db
@pytest.mark.parametrize(
    "role,destination", [("client", "client_dashboard"), ("reader", "reader_dashboard"), ("admin", "staff_dashboard")]
)
def test_dashboard_link_lands_on_the_role_page(client, people, role, destination):
    client.force_login(people[role])
    assert client.get(reverse("dashboard")).url == reverse(destination)


@pytest.mark.django_db
def test_a_client_cannot_switch_a_reader_online(client, alice, bob):
    bob.reader_profile.availability = "offline"
    bob.reader_profile.save()
    client.force_login(alice)
    assert client.post(reverse("reader_availability"), {"availability": "online"}).status_code == 403
    bob.reader_profile.refresh_from_db()
    assert bob.reader_profile.availability == "offline"


@pytest.mark.django_db
def test_non_staff_cannot_open_the_django_admin(client, alice, carol):
    client.force_login(alice)
    assert client.get("/django-admin/").status_code == 302
    client.force_login(carol)
    assert client.get("/django-admin/").status_code == 200
