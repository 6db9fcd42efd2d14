"""Shared helpers for the streams tests."""

import uuid
from decimal import Decimal

from accounts.tests.factories import UserFactory
from payments import services as payments


def fund(user, amount) -> None:
    payments.credit_wallet(user, Decimal(amount), key=f"test:{uuid.uuid4()}", memo="test funds")


def client_user(email: str, first_name: str = "", funds: str | None = None):
    user = UserFactory(email=email, first_name=first_name)
    if funds:
        fund(user, funds)
    return user
