"""Readings use cases: one function per operation, each one transaction.

Views, the session consumer, admin actions and the ``bill_readings`` sweeper all call these;
nothing else changes a reading. Broadcasts go out only after commit (``readings.events``).
Lock order everywhere: the reading row, then (inside ``payments``) the wallet.

Split by topic: ``lifecycle`` (request → answer → end), ``room`` (sockets, presence, chat),
``clock`` (the rules: presence decides), ``billing`` (applying them), ``charging`` (the money for due
minutes, one reading or a batch), ``reviews`` (reviews, refunds).
"""

from readings.services.billing import SettleOutcome, charge_due_minutes, settle_readings, sweep  # noqa: F401
from readings.services.charging import charge_batch, minute_charge  # noqa: F401
from readings.services.clock import Action, Presence, decide, minutes_due, presence_of  # noqa: F401
from readings.services.common import END_MESSAGES, ReadingError, state_payload, summary  # noqa: F401
from readings.services.lifecycle import (  # noqa: F401
    Affordability,
    accept_reading,
    affordability,
    cancel_reading,
    decline_reading,
    end_reading,
    expire_stale_requests,
    minimum_to_start,
    request_reading,
)
from readings.services.reviews import (  # noqa: F401
    REVIEW_REPLY_MAX_LENGTH,
    leave_review,
    recompute_rating,
    refund_minutes,
    reply_to_review,
)
from readings.services.room import (  # noqa: F401
    clean_text,
    mark_connected,
    mark_disconnected,
    post_message,
    record_heard,
)
