"""Community fixtures: the forum's categories (made again for transactional tests, which flush the
data migration's rows), more members beside alice (client), bob (reader) and carol (admin), money."""

import importlib
import uuid
from decimal import Decimal

import pytest

from accounts.tests.factories import ReaderProfileFactory, UserFactory
from community.models import Category
from payments import services as payments

CATEGORY_ROWS = importlib.import_module("community.migrations.0004_forum_categories").CATEGORIES


@pytest.fixture
def categories(db):
    made = {}
    for position, (name, slug, description, staff_only) in enumerate(CATEGORY_ROWS):
        made[slug], _ = Category.objects.update_or_create(
            slug=slug,
            defaults={"name": name, "description": description, "position": position, "staff_only": staff_only},
        )
    return made


@pytest.fixture
def general(categories):
    return categories["general"]


@pytest.fixture
def dave(db):
    return UserFactory(email="dave@example.com", first_name="Dave")


@pytest.fixture
def erin(db):
    return UserFactory(email="erin@example.com", first_name="Erin")


@pytest.fixture
def frank(db):
    return UserFactory(email="frank@example.com", first_name="Frank")


@pytest.fixture
def nina(db):
    """A second reader."""
    return ReaderProfileFactory(user__email="nina@example.com", display_name="Nina Star", slug="nina-star").user


def fund(user, amount: str) -> None:
    payments.credit_wallet(user, Decimal(amount), key=f"test:{uuid.uuid4()}", memo="test funds")


@pytest.fixture
def logged_in(client):
    """``logged_in(user)`` → the test client signed in as ``user``."""

    def login(user):
        client.force_login(user)
        return client

    return login
