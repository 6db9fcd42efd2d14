"""Readings settings with their defaults (see the "# --- Readings ---" block in settings.py)."""

from decimal import Decimal

from django.conf import settings

DEFAULTS = {
    "READINGS_MIN_START_BALANCE": Decimal("5.00"),
    "READINGS_MIN_MINUTES": 3,
    "READINGS_REQUEST_TIMEOUT_SECONDS": 60,
    "READINGS_RECONNECT_GRACE_SECONDS": 120,
    "READINGS_LOW_BALANCE_MINUTES": 2,
    # Presence: each daphne beats its room sockets every HEARTBEAT (the browser answers each beat);
    # a party not heard for STALE seconds is away, and billing pauses from when they were last heard.
    "READINGS_HEARTBEAT_SECONDS": 2.0,
    "READINGS_STALE_CONNECTION_SECONDS": 6.0,
    "READINGS_SWEEP_SECONDS": 1.0,
    "READINGS_BILLING_BATCH": 500,  # readings charged per transaction by the sweeper and the beat passes
    "READINGS_CHAT_MAX_LENGTH": 2000,
    # Abuse limits on the room socket and the request button.
    "READINGS_CHAT_PER_SECOND": 1.0,  # sustained chat messages per socket...
    "READINGS_CHAT_BURST": 5,  # ...with this burst
    "READINGS_FRAMES_PER_SECOND": 20.0,  # any message (signalling included) per socket...
    "READINGS_FRAMES_BURST": 120,  # ...with this burst (ICE gathering sends a few dozen at once)
    "READINGS_REFUSALS_BEFORE_CLOSE": 50,  # refused messages before a flooding socket is closed
    "READINGS_REREQUEST_COOLDOWN_SECONDS": 30,  # after cancelling, before asking the same reader again
    "READINGS_MAX_REQUESTS_PER_HOUR": 10,  # reading requests per client per hour
    "READINGS_PRESENCE_GRACE_SECONDS": 30,
    "TURN_CREDENTIAL_TTL_SECONDS": 3600,
}


def get(name: str):
    return getattr(settings, name, DEFAULTS[name])


def heartbeat_seconds() -> float:
    return float(get("READINGS_HEARTBEAT_SECONDS"))


def stale_seconds() -> float:
    return float(get("READINGS_STALE_CONNECTION_SECONDS"))


def minute_seconds() -> float:
    return float(getattr(settings, "SOULSEER_BILLING_MINUTE_SECONDS", 60.0))


def min_start_balance() -> Decimal:
    """Payments' minimum wallet to start a reading when it defines one, else ours."""
    value = getattr(settings, "PAYMENTS_MIN_READING_BALANCE", None)
    if value is None:
        value = get("READINGS_MIN_START_BALANCE")
    return Decimal(str(value))
