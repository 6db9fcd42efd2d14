"""Money use cases: the only door to the ledger.

Every function that moves money is one ``transaction.atomic`` block (a savepoint when the caller
already holds a transaction, e.g. the readings engine charging minute *n* with the reading row
locked), idempotent on its key (a UNIQUE column, not only an ``exists()`` check), and locks the
ledger accounts it touches with ``select_for_update`` in primary-key order so concurrent callers
never deadlock. Stripe is never called under a lock nor on a hot path: a service decides and
records in one transaction and queues the call there as a background task (``payments.tasks``,
run by the task worker), and the outcome is recorded in a second transaction.

The package is split by topic; callers import from ``payments.services`` as before.
"""

from payments.services.auto_reload import (  # noqa: F401
    AUTH_REQUIRED_MESSAGE,
    auto_reload_for,
    request_auto_reload,
    run_auto_reload,
    save_auto_reload,
)
from payments.services.batch import Charge, Posted, charge_many  # noqa: F401
from payments.services.connect import (  # noqa: F401
    connect_account_for,
    refresh_connect_status,
    start_connect_onboarding,
)
from payments.services.ledger import (  # noqa: F401
    CENT,
    READER_SHARE,
    InsufficientFunds,
    PaymentError,
    _prorate,
    balance,
    cents,
    earnings_balance,
    history,
    movement_for_key,
    split,
    system_balance,
    to_amount,
)
from payments.services.payouts import (  # noqa: F401
    pay_out,
    pay_out_readers,
    readers_due_payout,
    retry_payouts,
    send_payout,
)
from payments.services.purchases import (  # noqa: F401
    PurchaseLine,
    charge_purchase,
    purchase_line,
    refund_purchase_line,
)
from payments.services.reports import (  # noqa: F401
    ledger_discrepancies,
    money_overview,
    reconcile_with_stripe,
)
from payments.services.stripe_events import (  # noqa: F401
    process_stripe_event,
    refresh_card_details,
)
from payments.services.topups import (  # noqa: F401
    complete_sandbox_topup,
    start_topup,
    topup_amount,
)
from payments.services.wallet import (  # noqa: F401
    charge,
    credit_wallet,
    refund,
    refunded_amount,
    seed_demo_balance,
)
