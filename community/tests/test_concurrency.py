"""Two clicks racing to open one paid reply charge once (real PostgreSQL row locks)."""

from decimal import Decimal

from community.models import Message
from community.services import messages
from community.tests.conftest import fund
from conftest import postgres_only, race
from payments import services as payments
from payments.models import Movement

pytestmark = postgres_only()


def test_racing_clicks_open_a_paid_reply_once(alice, bob):
    messages.send_message(alice, bob, "Question")
    paid = messages.send_message(bob, alice, "Answer", price=Decimal("5.00"))
    fund(alice, "20.00")
    results = race(8, lambda i: messages.open_paid_reply(alice, Message.objects.get(pk=paid.pk)))
    assert all(isinstance(r, Message) for r in results), results
    assert Movement.objects.filter(kind=Movement.Kind.CHARGE).count() == 1
    assert payments.balance(alice) == Decimal("15.00")
