"""After the sale: refunds as exact reversals, shipping, service deliveries, downloads, reviews, emails."""

from decimal import Decimal
from pathlib import Path

import pytest
from django.core import signing

from payments import services as payments
from payments.models import Account, Movement
from payments.services import PaymentError
from shop import files
from shop.models import Order, OrderLine, Product
from shop.services import fulfilment, orders, refunds
from shop.services.errors import ShopError
from shop.tests.orders_factories import ADDRESS, client, key, lines, product, reader

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def shop_files(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    return settings.PRIVATE_MEDIA_ROOT


def stored_file(root: Path, content: bytes = b"%PDF-1.4 the course") -> str:
    name = "shop/files/abc/course.pdf"
    (root / name).parent.mkdir(parents=True, exist_ok=True)
    (root / name).write_bytes(content)
    return name


def paid_order(*pairs, funds: str = "200.00"):
    buyer = client(funds)
    return orders.checkout(buyer, lines(*pairs), key=key(), address=ADDRESS), buyer


# --- refunds ----------------------------------------------------------------------------------------


def test_refunding_a_line_reverses_exactly_its_split_and_restores_stock(carol):
    luna, sol = reader("Luna"), reader("Sol")
    crystal, reading = product(luna, price="10.01", stock=3), product(sol, kind=Product.Kind.SERVICE, price="25.00")
    order, buyer = paid_order((crystal, 2), (reading, 1))
    crystal_line = order.lines.get(product=crystal)

    refunds.refund_line(carol, crystal_line.pk, reason="Arrived broken")

    assert payments.balance(buyer) == D("200.00") - D("25.00")
    assert payments.earnings_balance(luna) == D("0.00")  # exactly what the line paid her, back
    assert payments.earnings_balance(sol) == D("17.50")  # the other seller's line untouched
    assert payments.system_balance(Account.Kind.REVENUE) == D("7.50")
    assert Product.objects.get(pk=crystal.pk).stock == 3
    crystal_line.refresh_from_db()
    assert crystal_line.status == OrderLine.Status.REFUNDED and crystal_line.refund.refund_of == order.movement
    assert Order.objects.get(pk=order.pk).status == Order.Status.PAID  # one line is still sold
    assert payments.ledger_discrepancies() == []


def test_a_refund_clicked_twice_moves_money_once(carol):
    order, buyer = paid_order((product(reader(), price="40.00"), 1))
    line = order.lines.get()
    refunds.refund_line(carol, line.pk, reason="Duplicate order")
    refunds.refund_line(carol, line.pk, reason="Duplicate order")
    assert Movement.objects.filter(kind="refund").count() == 1
    assert payments.balance(buyer) == D("200.00")


def test_refunding_the_whole_order_marks_it_refunded_and_tells_the_buyer(
    carol, run_tasks, mailoutbox, django_capture_on_commit_callbacks
):
    seller = reader()
    order, buyer = paid_order((product(seller, price="12.00"), 2), (product(None, price="5.00"), 1))
    with pytest.raises(ShopError, match="reason"):
        refunds.refund_order(carol, order.pk, reason=" ")

    with django_capture_on_commit_callbacks(execute=True):
        refunds.refund_order(carol, order.pk, reason="Shop closed")
    run_tasks()
    assert sorted(m.subject for m in mailoutbox if m.to == [buyer.email]) == [
        f"[SoulSeer] Order #{order.pk}: refund of $24.00",
        f"[SoulSeer] Order #{order.pk}: refund of $5.00",
    ]
    order.refresh_from_db()
    assert order.status == Order.Status.REFUNDED
    assert payments.balance(buyer) == D("200.00") and payments.earnings_balance(seller) == D("0.00")
    assert payments.system_balance(Account.Kind.REVENUE) == D("0.00")
    assert payments.ledger_discrepancies() == []


def test_only_staff_refund_and_the_generic_refund_refuses_shop_orders(carol):
    order, buyer = paid_order((product(reader(), price="40.00"), 1))
    with pytest.raises(ShopError, match="Only staff"):
        refunds.refund_line(buyer, order.lines.get().pk, reason="I want my money")
    with pytest.raises(PaymentError, match="per item"):
        payments.refund(order.movement, reason="pro rata would be wrong here", by=carol)
    assert payments.balance(buyer) == D("160.00")


# --- shipping and deliveries --------------------------------------------------------------------------


def test_the_seller_ships_with_tracking_and_only_their_own_lines(django_capture_on_commit_callbacks):
    seller, other = reader(), reader()
    order, _ = paid_order((product(seller), 1))
    line = order.lines.get()
    with pytest.raises(fulfilment.NotFound):
        fulfilment.mark_shipped(other, line.pk, carrier="USPS", tracking_number="9400 1000")
    assert list(fulfilment.seller_queue(seller)) == [line]
    with django_capture_on_commit_callbacks(execute=True):
        fulfilment.mark_shipped(seller, line.pk, carrier="USPS", tracking_number="9400 1000")
    line.refresh_from_db()
    assert line.status == OrderLine.Status.SHIPPED and line.tracking_number == "9400 1000"
    assert list(fulfilment.seller_queue(seller)) == []
    with pytest.raises(ShopError, match="already shipped"):
        fulfilment.mark_shipped(seller, line.pk, carrier="USPS", tracking_number="1")


def test_a_service_is_delivered_with_a_message_and_a_private_file(shop_files):
    from django.core.files.uploadedfile import SimpleUploadedFile

    seller = reader()
    order, buyer = paid_order((product(seller, kind=Product.Kind.SERVICE, price="30.00"), 1))
    line = order.lines.get()
    upload = SimpleUploadedFile("your-reading.pdf", b"%PDF-1.4 reading", content_type="application/pdf")
    fulfilment.deliver_service(seller, line.pk, message="Your cards say yes.", upload=upload)
    line.refresh_from_db()
    assert line.status == OrderLine.Status.DELIVERED and line.delivery_message == "Your cards say yes."
    assert (shop_files / line.delivery_file).read_bytes() == b"%PDF-1.4 reading"
    assert fulfilment.claim_download(buyer, line.pk, fulfilment.download_token(line)) == (
        line.delivery_file,
        "your-reading.pdf",
    )


def test_late_services_are_listed_for_staff(settings):
    from datetime import timedelta

    from django.utils import timezone

    order, _ = paid_order((product(reader(), kind=Product.Kind.SERVICE), 1))
    line = order.lines.get()
    assert not fulfilment.overdue_services().exists()
    assert list(fulfilment.overdue_services(now=timezone.now() + timedelta(days=3))) == [line]


# --- downloads ----------------------------------------------------------------------------------------


def test_downloads_need_the_buyer_a_valid_token_and_are_counted(shop_files, settings):
    settings.SHOP_DOWNLOAD_LIMIT = 2
    name = stored_file(shop_files)
    ebook = product(reader(), kind=Product.Kind.DIGITAL, price="9.00", file=name, file_name="course.pdf")
    order, buyer = paid_order((ebook, 1))
    line = order.lines.get()
    token = fulfilment.download_token(line)

    with pytest.raises(fulfilment.NotFound):
        fulfilment.claim_download(client(), line.pk, token)  # not the buyer
    with pytest.raises(fulfilment.NotFound):
        fulfilment.claim_download(buyer, line.pk, token + "x")  # forged
    assert fulfilment.claim_download(buyer, line.pk, token) == (name, "course.pdf")
    assert fulfilment.claim_download(buyer, line.pk, token) == (name, "course.pdf")
    with pytest.raises(ShopError, match="limit"):
        fulfilment.claim_download(buyer, line.pk, token)
    assert OrderLine.objects.get(pk=line.pk).downloads == 2


def test_an_old_download_link_has_expired(shop_files, settings, monkeypatch):
    ebook = product(reader(), kind=Product.Kind.DIGITAL, file=stored_file(shop_files))
    order, buyer = paid_order((ebook, 1))
    line = order.lines.get()
    old = signing.TimestampSigner(salt=fulfilment.DOWNLOAD_SALT)
    monkeypatch.setattr(old, "timestamp", lambda: signing.b62_encode(0))
    with pytest.raises(ShopError, match="expired"):
        fulfilment.claim_download(buyer, line.pk, old.sign(f"{line.pk}.{buyer.pk}"))


def test_a_refunded_download_is_gone(shop_files, carol):
    ebook = product(reader(), kind=Product.Kind.DIGITAL, file=stored_file(shop_files))
    order, buyer = paid_order((ebook, 1))
    line = order.lines.get()
    refunds.refund_line(carol, line.pk, reason="Wrong file")
    with pytest.raises(fulfilment.NotFound):
        fulfilment.claim_download(buyer, line.pk, fulfilment.download_token(line))


def test_private_files_are_checked_for_size_and_type(settings):
    from django.core.exceptions import ValidationError
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.SHOP_FILE_MAX_BYTES = 10
    with pytest.raises(ValidationError, match="limit"):
        files.validate_shop_file(SimpleUploadedFile("big.pdf", b"x" * 11))
    with pytest.raises(ValidationError, match="types"):
        files.validate_shop_file(SimpleUploadedFile("run.exe", b"MZ"))
    files.validate_shop_file(SimpleUploadedFile("ok.PDF", b"%PDF"))


# --- reviews ----------------------------------------------------------------------------------------


def test_a_buyer_reviews_what_they_received_once_per_line(shop_files):
    ebook = product(reader(), kind=Product.Kind.DIGITAL, file=stored_file(shop_files))
    crystal = product(reader())
    order, buyer = paid_order((ebook, 1), (crystal, 1))
    ebook_line, crystal_line = order.lines.get(product=ebook), order.lines.get(product=crystal)

    with pytest.raises(ShopError, match="once you have received"):
        fulfilment.review_line(buyer, crystal_line.pk, rating=5)  # not shipped yet
    with pytest.raises(fulfilment.NotFound):
        fulfilment.review_line(client(), ebook_line.pk, rating=5)
    fulfilment.review_line(buyer, ebook_line.pk, rating=4, text="Lovely")
    with pytest.raises(ShopError, match="already reviewed"):
        fulfilment.review_line(buyer, ebook_line.pk, rating=1)
    ebook.refresh_from_db()
    assert (ebook.rating_count, ebook.rating) == (1, 4.0)


# --- emails -----------------------------------------------------------------------------------------


def test_buyer_and_seller_get_emails_for_the_order_and_the_buyer_for_shipping(
    run_tasks, mailoutbox, django_capture_on_commit_callbacks
):
    seller = reader()
    seller.email = "seller@example.com"
    seller.save()
    with django_capture_on_commit_callbacks(execute=True):
        order, buyer = paid_order((product(seller, title="Rose quartz"), 1))
    run_tasks()
    to = {m.to[0]: m for m in mailoutbox}
    assert f"order #{order.pk}" in to[buyer.email].subject and "Rose quartz" in to[buyer.email].body
    assert "New sale" in to["seller@example.com"].subject
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        fulfilment.mark_shipped(seller, order.lines.get().pk, carrier="UPS", tracking_number="1Z999")
    run_tasks()
    assert [m.to for m in mailoutbox] == [[buyer.email]] and "1Z999" in mailoutbox[0].body
