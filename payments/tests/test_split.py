"""The 70/30 split and refund proration: pure arithmetic, checked for every amount hypothesis can find."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from payments.services import CENT, PaymentError, _prorate, split, to_amount

amounts = st.integers(min_value=1, max_value=1_000_000).map(lambda cents: Decimal(cents) / 100)


@given(amounts)
def test_split_adds_up_and_rounds_the_reader_share_half_up(amount):
    reader, platform = split(amount)
    assert reader + platform == amount
    assert reader == reader.quantize(CENT) and platform == platform.quantize(CENT)
    assert abs(reader - amount * Decimal("0.7")) <= Decimal("0.005")
    assert reader >= 0 and platform >= 0


@pytest.mark.parametrize(
    ("amount", "reader", "platform"),
    [
        ("1.00", "0.70", "0.30"),
        ("0.01", "0.01", "0.00"),  # 0.007 rounds up to a cent for the reader
        ("0.05", "0.04", "0.01"),  # 0.035 rounds half up
        ("2.50", "1.75", "0.75"),
        ("3.33", "2.33", "1.00"),  # 2.331
        ("0.15", "0.11", "0.04"),  # 0.105 rounds half up
    ],
)
def test_split_examples(amount, reader, platform):
    assert split(Decimal(amount)) == (Decimal(reader), Decimal(platform))


@given(amounts, st.lists(st.integers(min_value=1, max_value=10_000), min_size=1, max_size=8))
def test_partial_refunds_reverse_each_leg_monotonically_and_exactly_at_the_end(total, parts):
    reader_total, platform_total = split(total)
    done, reader_back, platform_back = Decimal("0.00"), Decimal("0.00"), Decimal("0.00")
    cents_left = int(total * 100)
    for part in parts:
        step = Decimal(min(part, cents_left)) / 100
        if not step:
            break
        r = _prorate(reader_total, done + step, total) - _prorate(reader_total, done, total)
        p = step - r
        assert 0 <= r <= step and 0 <= p <= step
        done, reader_back, platform_back = done + step, reader_back + r, platform_back + p
        cents_left -= int(step * 100)
        assert reader_back <= reader_total and platform_back <= platform_total
    last = total - done
    reader_back += _prorate(reader_total, total, total) - _prorate(reader_total, done, total)
    platform_back += last - (_prorate(reader_total, total, total) - _prorate(reader_total, done, total))
    assert (reader_back, platform_back) == (reader_total, platform_total)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("0", "more than zero"),
        ("-5", "more than zero"),
        ("1.234", "two decimal places"),
        ("abc", "number of dollars"),
        ("NaN", "number of dollars"),
        ("Infinity", "number of dollars"),
        ("10000.01", "at most $10000.00"),
    ],
)
def test_to_amount_refuses_bad_amounts(value, message):
    with pytest.raises(PaymentError, match=message.replace("$", r"\$")):
        to_amount(value)


def test_to_amount_refuses_floats():
    with pytest.raises(TypeError):
        to_amount(1.5)


def test_to_amount_normalises():
    assert to_amount("12.5") == Decimal("12.50")
    assert str(to_amount(Decimal("7"))) == "7.00"
