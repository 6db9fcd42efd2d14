import pytest
from django.core import mail
from django.urls import reverse

from accounts.models import User


def signup(client, **overrides):
    data = {
        "email": "new@example.com",
        "password1": "a-long-unusual-passphrase",
        "password2": "a-long-unusual-passphrase",
        "accept_terms": "on",
    }
    data.update(overrides)
    return client.post(reverse("account_signup"), data)


@pytest.mark.django_db
class TestSignup:
    def test_creates_a_client_and_sends_a_verification_email(self, client):
        response = signup(client, first_name="Nova")
        assert response.status_code == 302
        user = User.objects.get(email="new@example.com")
        assert user.role == User.Role.CLIENT and user.first_name == "Nova"
        assert len(mail.outbox) == 1 and "confirm" in mail.outbox[0].body.lower()

    def test_a_duplicate_email_gets_a_clear_message(self, client, alice):
        response = signup(client, email="ALICE@example.com")
        assert response.status_code == 200
        assert "already registered with this email" in response.content.decode()
        assert User.objects.filter(email__iexact="alice@example.com").count() == 1

    def test_terms_must_be_accepted(self, client):
        data = {"accept_terms": ""}
        response = signup(client, **data)
        assert "You must be 18 or older" in response.content.decode()
        assert not User.objects.filter(email="new@example.com").exists()

    def test_mismatched_passwords_change_nothing(self, client):
        response = signup(client, password2="something-else-entirely")
        assert response.status_code == 200
        assert not User.objects.filter(email="new@example.com").exists()
