"""The payments stand-in for Stripe, for the shop's checkout through a real hosted Checkout."""

from payments.tests.conftest import _stripe_server, post_event, stripe_stub  # noqa: F401 (fixtures)
