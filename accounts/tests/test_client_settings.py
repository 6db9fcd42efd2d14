"""Name sharing: at sign-up and on the client's settings page."""

import pytest
from django.urls import reverse

from accounts.models import User

pytestmark = pytest.mark.django_db


def test_signup_can_share_the_first_name(client, settings):
    settings.ACCOUNT_EMAIL_VERIFICATION = "none"
    page = client.get(reverse("account_signup")).content.decode()
    assert "unless you share your first name" in page
    client.post(
        reverse("account_signup"),
        {
            "email": "nova@example.com",
            "password1": "a-long-unusual-passphrase",
            "password2": "a-long-unusual-passphrase",
            "first_name": "Nova",
            "share_name": "on",
            "accept_terms": "on",
        },
    )
    user = User.objects.get(email="nova@example.com")
    assert user.client_profile.share_name and user.public_name == "Nova"


def test_signup_without_sharing_stays_a_number(client, settings):
    settings.ACCOUNT_EMAIL_VERIFICATION = "none"
    client.post(
        reverse("account_signup"),
        {
            "email": "vera@example.com",
            "password1": "a-long-unusual-passphrase",
            "password2": "a-long-unusual-passphrase",
            "first_name": "Vera",
            "accept_terms": "on",
        },
    )
    user = User.objects.get(email="vera@example.com")
    assert user.public_name == f"Client #{user.pk}"


def test_settings_page_switches_sharing(client, alice):
    client.force_login(alice)
    page = client.get(reverse("client_settings")).content.decode()
    assert f"Readers see “Client #{alice.pk}” unless you share your first name." in page
    client.post(reverse("client_settings"), {"first_name": "Alice", "share_name": "on"})
    alice.refresh_from_db()
    assert alice.public_name == "Alice"
    client.post(reverse("client_settings"), {"first_name": "Alice"})
    alice.refresh_from_db()
    alice.client_profile.refresh_from_db()
    assert alice.public_name == f"Client #{alice.pk}"


def test_sharing_needs_a_name(client, alice):
    client.force_login(alice)
    response = client.post(reverse("client_settings"), {"first_name": "  ", "share_name": "on"})
    assert "Enter a first name to share it with readers." in response.content.decode()
    alice.client_profile.refresh_from_db()
    assert not alice.client_profile.share_name


def test_readers_have_no_client_settings(client, bob):
    client.force_login(bob)
    assert client.get(reverse("client_settings")).status_code == 403
