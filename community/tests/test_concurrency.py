"""Two clicks racing to open one paid reply charge once (real PostgreSQL row locks)."""

import threading
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connection

from community.models import Message
from community.services import messages
from community.tests.conftest import fund
from payments import services as payments
from payments.models import Movement

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        "postgresql" not in settings.DATABASES["default"]["ENGINE"],
        reason="concurrency needs real PostgreSQL row locks: set DATABASE_URL=postgres://…",
    ),
    pytest.mark.django_db(transaction=True),
]


def test_racing_clicks_open_a_paid_reply_once(alice, bob):
    messages.send_message(alice, bob, "Question")
    paid = messages.send_message(bob, alice, "Answer", price=Decimal("5.00"))
    fund(alice, "20.00")
    barrier = threading.Barrier(8)
    results = []

    def click():
        try:
            barrier.wait()
            results.append(messages.open_paid_reply(alice, Message.objects.get(pk=paid.pk)))
        except Exception as exc:
            results.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=click) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert all(isinstance(r, Message) for r in results), results
    assert Movement.objects.filter(kind=Movement.Kind.CHARGE).count() == 1
    assert payments.balance(alice) == Decimal("15.00")
