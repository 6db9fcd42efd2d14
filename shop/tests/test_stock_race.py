"""Two buyers racing for the last item: one wins, the other is told and pays nothing (real row locks)."""

from decimal import Decimal

from conftest import postgres_only, race
from payments import services as payments
from shop.models import Order, Product
from shop.services import orders
from shop.services.errors import OutOfStock
from shop.tests.orders_factories import ADDRESS, client, key, lines, product, reader

pytestmark = postgres_only()


def test_two_buyers_race_for_the_last_item_one_wins_the_other_pays_nothing():
    last = product(reader(), price="40.00", stock=1)
    buyers = [client("100.00"), client("100.00")]
    carts = [lines((last, 1)) for _ in buyers]  # both saw it in stock

    results = race(2, lambda i: orders.checkout(buyers[i], carts[i], key=key(), address=ADDRESS))

    won = [r for r in results if isinstance(r, Order)]
    lost = [r for r in results if isinstance(r, OutOfStock)]
    assert len(won) == 1 and len(lost) == 1, results
    assert "someone bought it first" in str(lost[0])
    assert Product.objects.get(pk=last.pk).stock == 0
    assert sorted(payments.balance(b) for b in buyers) == [Decimal("60.00"), Decimal("100.00")]
    assert Order.objects.count() == 1
    assert payments.ledger_discrepancies() == []


def test_many_buyers_never_oversell():
    stocked = product(reader(), price="5.00", stock=3)
    buyers = [client("50.00") for _ in range(8)]
    carts = [lines((stocked, 1)) for _ in buyers]

    results = race(8, lambda i: orders.checkout(buyers[i], carts[i], key=key(), address=ADDRESS))

    assert sum(isinstance(r, Order) for r in results) == 3
    assert sum(isinstance(r, OutOfStock) for r in results) == 5, results
    assert Product.objects.get(pk=stocked.pk).stock == 0
    assert sum(payments.balance(b) for b in buyers) == Decimal("400.00") - Decimal("15.00")
