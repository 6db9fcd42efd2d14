"""Placing and paying orders: the split per line, all or nothing, idempotency, waiting for a top-up."""

from decimal import Decimal

import pytest

from payments import services as payments
from payments.models import Account, Movement, TopUp
from shop.models import Order, OrderLine, Product
from shop.services import orders
from shop.services.errors import OutOfStock, ShopError
from shop.tests.orders_factories import ADDRESS, client, key, lines, product, reader

pytestmark = pytest.mark.django_db
D = Decimal


def revenue() -> Decimal:
    return payments.system_balance(Account.Kind.REVENUE)


def test_an_order_is_one_movement_split_70_30_per_line_and_all_to_the_platform_on_its_own_products():
    luna, sol = reader("Luna"), reader("Sol")
    crystal = product(luna, price="10.01", stock=3)  # 70 % of 10.01 is 7.007: rounded per line
    reading = product(sol, kind=Product.Kind.SERVICE, price="25.00")
    candle = product(None, price="8.00")  # the platform's own
    buyer = client("100.00")

    order = orders.checkout(buyer, lines((crystal, 2), (reading, 1), (candle, 1)), key=key(), address=ADDRESS)

    assert order.status == Order.Status.PAID and order.total == D("53.02")
    movement = Movement.objects.get(key=f"order:{order.pk}")
    assert order.movement == movement and movement.amount == D("53.02")
    assert payments.balance(buyer) == D("46.98")
    assert payments.earnings_balance(luna) == D("14.01")  # 70 % of the 20.02 line
    assert payments.earnings_balance(sol) == D("17.50")
    assert revenue() == D("6.01") + D("7.50") + D("8.00")
    assert sum(e.amount for e in movement.entries.all()) == 0
    assert payments.ledger_discrepancies() == []
    crystal.refresh_from_db()
    assert crystal.stock == 1 and crystal.sold_count == 2
    by_kind = {line.kind: line for line in order.lines.all()}
    assert by_kind["service"].due_at is not None and by_kind["service"].status == OrderLine.Status.OPEN
    assert order.ship_city == "San Francisco"


def test_a_digital_item_is_ready_to_download_once_paid():
    ebook = product(reader(), kind=Product.Kind.DIGITAL, price="9.00", file="shop/files/x/book.pdf")
    order = orders.checkout(client(), lines((ebook, 1)), key=key())
    assert order.lines.get().status == OrderLine.Status.AVAILABLE
    assert order.ship_line1 == ""  # no address asked for, none kept


def test_the_same_checkout_twice_is_one_order_and_one_payment():
    item, buyer, token = product(reader(), price="15.00"), client("100.00"), key()
    first = orders.checkout(buyer, lines((item, 1)), key=token, address=ADDRESS)
    again = orders.checkout(buyer, lines((item, 1)), key=token, address=ADDRESS)
    assert again.pk == first.pk
    assert Order.objects.count() == 1 and Movement.objects.filter(kind="charge").count() == 1
    assert payments.balance(buyer) == D("85.00")


def test_someone_elses_checkout_token_is_refused():
    item, token = product(reader()), key()
    orders.checkout(client(), lines((item, 1)), key=token, address=ADDRESS)
    with pytest.raises(ShopError, match="not yours"):
        orders.checkout(client(), lines((item, 1)), key=token, address=ADDRESS)


def test_an_order_is_all_or_nothing_across_its_lines():
    seller = reader()
    plenty, scarce = product(seller, stock=10), product(seller, stock=1)
    buyer = client("100.00")
    cart = lines((plenty, 2), (scarce, 1))
    Product.objects.filter(pk=scarce.pk).update(stock=0)  # sold out after it went into the cart
    with pytest.raises(OutOfStock):
        orders.checkout(buyer, cart, key=key(), address=ADDRESS)
    assert Order.objects.count() == 0
    assert payments.balance(buyer) == D("100.00")
    assert Product.objects.get(pk=plenty.pk).stock == 10


def test_stock_taken_between_checkout_and_payment_rolls_everything_back(monkeypatch):
    """The cart was fine when checked, but the last one went while paying: nothing stays, nothing paid."""
    item, buyer = product(reader(), stock=1), client("100.00")
    cart = lines((item, 1))
    real_pay = orders._pay

    def someone_else_first(order):
        Product.objects.filter(pk=item.pk).update(stock=0)
        real_pay(order)

    monkeypatch.setattr(orders, "_pay", someone_else_first)
    with pytest.raises(OutOfStock, match="someone bought it first"):
        orders.checkout(buyer, cart, key=key(), address=ADDRESS)
    assert Order.objects.count() == 0 and OrderLine.objects.count() == 0
    assert payments.balance(buyer) == D("100.00")


def test_physical_goods_need_an_address_and_bad_carts_are_refused():
    seller = reader()
    item = product(seller)
    with pytest.raises(ShopError, match="shipping address"):
        orders.checkout(client(), lines((item, 1)), key=key())
    with pytest.raises(ShopError, match="empty"):
        orders.checkout(client(), [], key=key())
    with pytest.raises(ShopError, match="not for sale"):
        hidden = product(seller, status=Product.Status.DRAFT)
        orders.checkout(client(), lines((hidden, 1)), key=key(), address=ADDRESS)
    with pytest.raises(ShopError, match="Only client accounts"):
        orders.checkout(reader(), lines((item, 1)), key=key(), address=ADDRESS)
    with pytest.raises(ShopError, match="Only 5"):
        orders.checkout(client(), lines((item, 6)), key=key(), address=ADDRESS)
    assert Order.objects.count() == 0


def test_a_short_wallet_makes_an_order_that_waits_and_moves_nothing():
    item, buyer = product(reader(), price="30.00"), client("10.00")
    order = orders.checkout(buyer, lines((item, 1)), key=key(), address=ADDRESS)
    assert order.status == Order.Status.AWAITING_PAYMENT and order.movement is None
    assert orders.shortfall(order) == D("20.00")
    assert payments.balance(buyer) == D("10.00")
    assert Product.objects.get(pk=item.pk).stock == 5  # no stock held while waiting


def test_the_top_up_for_the_difference_pays_the_order_when_it_is_credited(settings, django_capture_on_commit_callbacks):
    settings.PAYMENTS_SANDBOX = True
    item, buyer = product(reader(), price="30.00"), client("27.00")
    order = orders.checkout(buyer, lines((item, 1)), key=key(), address=ADDRESS)

    topup, _ = orders.start_topup_for(order, success_url="http://x/ok", cancel_url="http://x/no")
    assert topup.amount == settings.PAYMENTS_TOPUP_MIN  # $3 short; the smallest top-up is taken
    assert topup.return_to == order.get_absolute_url()
    with django_capture_on_commit_callbacks(execute=True):
        payments.complete_sandbox_topup(buyer, topup.checkout_id)  # what the webhook does, through the same path

    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert payments.balance(buyer) == D("27.00") + topup.amount - D("30.00")
    assert Product.objects.get(pk=item.pk).stock == 4
    with django_capture_on_commit_callbacks(execute=True):
        payments.complete_sandbox_topup(buyer, topup.checkout_id)  # confirmed again: nothing more happens
    assert Movement.objects.filter(key=f"order:{order.pk}").count() == 1
    assert payments.ledger_discrepancies() == []


def test_a_top_up_that_arrives_after_the_last_item_sold_cancels_the_order_and_keeps_the_money(
    settings, django_capture_on_commit_callbacks
):
    settings.PAYMENTS_SANDBOX = True
    item, buyer = product(reader(), price="30.00", stock=1), client("0")
    order = orders.checkout(buyer, lines((item, 1)), key=key(), address=ADDRESS)
    topup, _ = orders.start_topup_for(order, success_url="http://x/ok", cancel_url="http://x/no")
    orders.checkout(client(), lines((item, 1)), key=key(), address=ADDRESS)  # someone else buys the last one

    with django_capture_on_commit_callbacks(execute=True):
        payments.complete_sandbox_topup(buyer, topup.checkout_id)

    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED and "someone bought it first" in order.cancel_reason
    assert payments.balance(buyer) == D("30.00")  # the top-up is in the wallet, nothing was charged
    assert TopUp.objects.get(pk=topup.pk).status == TopUp.Status.PAID


def test_a_top_up_larger_than_allowed_is_refused_with_advice(settings):
    settings.PAYMENTS_TOPUP_MAX = D("50.00")
    item, buyer = product(reader(), price="90.00"), client("10.00")
    order = orders.checkout(buyer, lines((item, 1)), key=key(), address=ADDRESS)
    with pytest.raises(ShopError, match="wallet page"):
        orders.start_topup_for(order, success_url="http://x", cancel_url="http://x")


def test_an_order_waiting_for_money_can_be_cancelled_but_not_a_paid_one():
    item = product(reader(), price="30.00")
    waiting = orders.checkout(client("1.00"), lines((item, 1)), key=key(), address=ADDRESS)
    assert orders.cancel(waiting, reason="Changed my mind").status == Order.Status.CANCELLED
    paid = orders.checkout(client("50.00"), lines((item, 1)), key=key(), address=ADDRESS)
    with pytest.raises(ShopError):
        orders.cancel(paid, reason="Too late")


def test_pay_awaiting_leaves_an_order_waiting_while_the_wallet_is_still_short():
    item, buyer = product(reader(), price="30.00"), client("10.00")
    order = orders.checkout(buyer, lines((item, 1)), key=key(), address=ADDRESS)
    assert orders.pay_awaiting(order.pk).status == Order.Status.AWAITING_PAYMENT
    payments.credit_wallet(buyer, D("25.00"), key="more", memo="More")
    assert orders.pay_awaiting(order.pk).status == Order.Status.PAID
    assert payments.balance(buyer) == D("5.00")
