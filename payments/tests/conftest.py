"""Payments fixtures: a local Stripe stand-in, signed webhooks, and a ledger check after every test."""

import json
from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.tests.factories import ReaderProfileFactory, UserFactory
from payments import services
from payments.tests.stripe_stub import SECRET_KEY, WEBHOOK_SECRET, StripeStub, sign


@pytest.fixture(autouse=True)
def _ledger_stays_balanced(request):
    """Every scenario must leave the books balanced: verify_ledger's check runs after each DB test."""
    names = set(request.fixturenames)
    uses_db = request.node.get_closest_marker("django_db") or {"db", "transactional_db"} & names
    if uses_db:
        # Set the database up before this fixture, so it is torn down after the check below.
        request.getfixturevalue("transactional_db" if "transactional_db" in names else "db")
    yield
    if uses_db and not getattr(request.node, "ledger_tampered", False):
        assert services.ledger_discrepancies() == []


@pytest.fixture
def allow_broken_ledger(request):
    request.node.ledger_tampered = True


@pytest.fixture(scope="session")
def _stripe_server():
    stub = StripeStub().start()
    yield stub
    stub.stop()


@pytest.fixture
def stripe_stub(_stripe_server, settings):
    """Stripe keys set, stripe-python pointed at the local stand-in: the non-sandbox code paths."""
    _stripe_server.reset()
    settings.PAYMENTS_SANDBOX = False
    settings.STRIPE_SECRET_KEY = SECRET_KEY
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_API_BASE = _stripe_server.url
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    return _stripe_server


@pytest.fixture
def sandbox(settings):
    settings.PAYMENTS_SANDBOX = True
    settings.STRIPE_SECRET_KEY = ""
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # anything reaching for Stripe fails loudly
    return settings


@pytest.fixture
def post_event(client):
    """POST a Stripe event to the webhook endpoint, signed with the test secret (or ``signature``)."""

    def post(event: dict, *, signature: str | None = None, secret: str = WEBHOOK_SECRET):
        payload = json.dumps(event)
        return client.post(
            reverse("payments:stripe_webhook"),
            data=payload,
            content_type="application/json",
            headers={"Stripe-Signature": signature if signature is not None else sign(payload, secret)},
        )

    return post


@pytest.fixture
def funded(alice):
    """alice with $50 in her wallet."""
    services.credit_wallet(alice, Decimal("50.00"), key="test:fund-alice", memo="Test funds")
    return alice


def make_client(**kwargs):
    return UserFactory(**kwargs)


def make_reader(**kwargs):
    return ReaderProfileFactory(**kwargs).user
