"""Readings fixtures: the payments tests' local Stripe stand-in, for auto-reload during a reading."""

from payments.tests.conftest import _stripe_server, stripe_stub  # noqa: F401
