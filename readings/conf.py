"""Readings settings with their defaults (see the "# --- Readings ---" block in settings.py)."""

from decimal import Decimal

from django.conf import settings

DEFAULTS = {
    "READINGS_MIN_START_BALANCE": Decimal("5.00"),
    "READINGS_MIN_MINUTES": 3,
    "READINGS_REQUEST_TIMEOUT_SECONDS": 60,
    "READINGS_RECONNECT_GRACE_SECONDS": 120,
    "READINGS_LOW_BALANCE_MINUTES": 2,
    "READINGS_HEARTBEAT_SECONDS": 5.0,
    "READINGS_STALE_CONNECTION_SECONDS": 20.0,
    "READINGS_TICK_SECONDS": 1.0,  # the room timer's first wait
    "READINGS_TICK_MAX_SLEEP_SECONDS": 15.0,  # the room timer never sleeps longer
    "READINGS_SWEEP_SECONDS": 1.0,
    "READINGS_CHAT_MAX_LENGTH": 2000,
    "READINGS_PRESENCE_GRACE_SECONDS": 30,
    "TURN_CREDENTIAL_TTL_SECONDS": 3600,
}


def get(name: str):
    return getattr(settings, name, DEFAULTS[name])


def minute_seconds() -> float:
    return float(getattr(settings, "SOULSEER_BILLING_MINUTE_SECONDS", 60.0))


def min_start_balance() -> Decimal:
    """Payments' minimum wallet to start a reading when it defines one, else ours."""
    value = getattr(settings, "PAYMENTS_MIN_READING_BALANCE", None)
    if value is None:
        value = get("READINGS_MIN_START_BALANCE")
    return Decimal(str(value))
