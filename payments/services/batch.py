"""Many charges at once: the billing sweeper's set-based path to the ledger.

``charge_many`` posts exactly what :func:`payments.services.charge` would post for each charge —
the same key, kind, memo, reference, legs (wallet −amount, earnings +70 %, revenue +30 % from
:func:`split`) and the same auto-reload request on a dip — but for a whole batch in a handful of
statements: accounts fetched and locked together (personal accounts only, in primary-key order;
the platform's accounts are never locked), movements and entries bulk-inserted, balances moved
by one UPDATE. A property test holds the two paths to identical ledgers.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.utils import timezone

from payments.models import ZERO, Account, AutoReload, Entry, Movement
from payments.services import auto_reload
from payments.services.ledger import _system_account, split
from soulseer.sql import bound_cursor, update_rows


@dataclass(frozen=True)
class Charge:
    """One client → reader charge, as :func:`payments.services.charge` takes it."""

    client_id: int
    reader_id: int
    amount: Decimal
    key: str
    memo: str
    reference: str = ""


@dataclass
class Posted:
    keys: set[str]  # the charges posted now (charges already in the ledger are not repeated)
    balances: dict[int, Decimal]  # client id -> wallet balance afterwards


def charge_many(charges: list[Charge]) -> Posted:
    """Post ``charges`` in order inside the caller's transaction. A charge the client's wallet cannot
    pay is skipped, and so is every later charge of that client (minutes are paid in order); a key
    already in the ledger moves nothing. The caller holds whatever makes the batch its own (the
    billing sweeper: the readings' row locks)."""
    if not charges:
        return Posted(set(), {})
    clients = {c.client_id for c in charges}
    readers = {c.reader_id for c in charges}
    wallets = _accounts(Account.Kind.WALLET, clients, create=False)
    earnings = _accounts(Account.Kind.EARNINGS, readers, create=True)
    revenue = _system_account(Account.Kind.REVENUE)
    ids = sorted({*wallets.values(), *earnings.values()})
    locked = dict(
        Account.objects.select_for_update().filter(pk__any_of=ids).order_by("pk").values_list("pk", "balance")
    )
    done = set(Movement.objects.filter(key__any_of=[c.key for c in charges]).values_list("key", flat=True))

    balance = {client: locked[wallet] for client, wallet in wallets.items()}
    exhausted: set[int] = set()
    deltas: dict[int, Decimal] = defaultdict(lambda: ZERO)
    posted: list[tuple[Charge, Decimal, Decimal]] = []
    for charge in charges:
        if charge.key in done or charge.client_id in exhausted:
            continue
        if charge.client_id not in wallets or balance[charge.client_id] < charge.amount:
            exhausted.add(charge.client_id)
            continue
        reader_share, platform_share = split(charge.amount)
        balance[charge.client_id] -= charge.amount
        deltas[wallets[charge.client_id]] -= charge.amount
        deltas[earnings[charge.reader_id]] += reader_share
        posted.append((charge, reader_share, platform_share))
        done.add(charge.key)
    if not posted:
        return Posted(set(), balance)

    _insert_movements(posted, wallets, earnings, revenue)
    update_rows(Account, ["balance"], ((pk, delta) for pk, delta in deltas.items() if delta), add=True)
    _request_auto_reloads({c.client_id for c, _, _ in posted}, balance)
    return Posted({c.key for c, _, _ in posted}, balance)


def _insert_movements(posted, wallets, earnings, revenue) -> None:
    """Write the movements and their entries (wallet −amount, earnings +70 %, revenue the rest). On
    PostgreSQL: two ``INSERT … SELECT FROM unnest(…)`` statements (one array per column, so ten
    thousand rows cost little more Python than ten); elsewhere the ORM's ``bulk_create``."""
    legs = []
    if connection.vendor != "postgresql":
        movements = Movement.objects.bulk_create(
            Movement(
                key=c.key,
                kind=Movement.Kind.CHARGE,
                amount=c.amount,
                memo=c.memo[:255],
                reference=c.reference[:200],
                client_id=c.client_id,
                reader_id=c.reader_id,
            )
            for c, _, _ in posted
        )
        for movement, (c, reader_share, platform_share) in zip(movements, posted, strict=True):
            legs.append(Entry(movement_id=movement.pk, account_id=wallets[c.client_id], amount=-c.amount))
            legs.append(Entry(movement_id=movement.pk, account_id=earnings[c.reader_id], amount=reader_share))
            if platform_share:
                legs.append(Entry(movement_id=movement.pk, account_id=revenue.pk, amount=platform_share))
        Entry.objects.bulk_create(legs, batch_size=1000)
        return
    now = timezone.now()
    columns = {
        "key": ("varchar", [c.key for c, _, _ in posted]),
        "kind": ("varchar", [Movement.Kind.CHARGE] * len(posted)),
        "amount": ("numeric", [c.amount for c, _, _ in posted]),
        "memo": ("varchar", [c.memo[:255] for c, _, _ in posted]),
        "reference": ("varchar", [c.reference[:200] for c, _, _ in posted]),
        "client_id": ("bigint", [c.client_id for c, _, _ in posted]),
        "reader_id": ("bigint", [c.reader_id for c, _, _ in posted]),
        "created_at": ("timestamptz", [now] * len(posted)),
    }
    ids = dict(_insert_unnest(Movement, columns, returning=("key", "id")))
    movement, account, amount = [], [], []
    for c, reader_share, platform_share in posted:
        for account_id, value in (
            (wallets[c.client_id], -c.amount),
            (earnings[c.reader_id], reader_share),
            (revenue.pk, platform_share),
        ):
            if value:
                movement.append(ids[c.key])
                account.append(account_id)
                amount.append(value)
    entry_columns = {
        "movement_id": ("bigint", movement),
        "account_id": ("bigint", account),
        "amount": ("numeric", amount),
        "created_at": ("timestamptz", [now] * len(movement)),
    }
    _insert_unnest(Entry, entry_columns)


def _insert_unnest(model, columns: dict[str, tuple[str, list]], returning: tuple[str, ...] = ()) -> list[tuple]:
    meta = model._meta
    quote = connection.ops.quote_name
    names = ", ".join(quote(meta.get_field(name).column) for name in columns)
    arrays = ", ".join(f"%s::{sql_type}[]" for sql_type, _ in columns.values())
    sql = f"INSERT INTO {quote(meta.db_table)} ({names}) SELECT * FROM unnest({arrays})"  # noqa: S608 (metadata)
    if returning:
        sql += " RETURNING " + ", ".join(quote(meta.get_field(name).column) for name in returning)
    with bound_cursor() as cursor:
        cursor.execute(sql, [values for _, values in columns.values()])
        return cursor.fetchall() if returning else []


def _accounts(kind: str, user_ids: set[int], *, create: bool) -> dict[int, int]:
    """user id -> account id (tuples, not model instances: ten thousand of them cost little)."""
    rows = Account.objects.filter(kind=kind, user_id__any_of=user_ids).values_list("user_id", "pk")
    found = dict(rows)
    missing = user_ids - set(found)
    if create and missing:
        Account.objects.bulk_create([Account(kind=kind, user_id=pk) for pk in missing], ignore_conflicts=True)
        found.update(Account.objects.filter(kind=kind, user_id__any_of=missing).values_list("user_id", "pk"))
    return found


def _request_auto_reloads(client_ids: set[int], balances: dict[int, Decimal]) -> None:
    """The same request ``charge`` makes, only for clients who may need one (one query for the batch)."""
    settings = AutoReload.objects.filter(user_id__any_of=client_ids, enabled=True).select_related("user")
    for setting in settings:
        if balances.get(setting.user_id, ZERO) < setting.threshold or not setting.armed:
            auto_reload.request_auto_reload(setting.user)
