"""Set-based writes the ORM has no fast form for: many rows updated with their own values in one
statement (``UPDATE … FROM (VALUES …)`` on PostgreSQL, ``CASE`` on SQLite).

Django's ``bulk_update`` builds a ``Case``/``When`` expression per row and value, which costs about
half a millisecond of Python each: for the billing sweeper's batches that was most of the time.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.db import connection, models


def update_rows(
    model: type[models.Model], fields: Sequence[str], rows: Iterable[Sequence], *, add: bool = False
) -> int:
    """``UPDATE`` each row ``(pk, value, value…)`` of ``model`` with its own ``fields`` values.

    With ``add=True`` the values are added to the current ones (``balance = balance + delta``).
    Returns the number of rows changed.
    """
    rows = list(rows)
    if not rows:
        return 0
    meta = model._meta
    table = connection.ops.quote_name(meta.db_table)
    pk = meta.pk.column
    columns = [meta.get_field(name).column for name in fields]
    quoted = [connection.ops.quote_name(c) for c in columns]
    if connection.vendor == "postgresql":
        types = [meta.pk.db_type(connection)] + [meta.get_field(name).db_type(connection) for name in fields]
        types = [t.replace("serial", "integer") for t in types]
        row_sql = "(" + ", ".join(f"%s::{t}" for t in types) + ")"
        names = ", ".join(["_pk", *(f"_v{i}" for i in range(len(fields)))])
        sets = ", ".join(f"{q} = {f'{table}.{q} + ' if add else ''}_v._v{i}" for i, q in enumerate(quoted))
        sql = (  # names from the model's metadata, quoted; every value is a bound parameter
            f"UPDATE {table} SET {sets} FROM (VALUES {', '.join([row_sql] * len(rows))}) AS _v({names}) "  # noqa: S608
            f"WHERE {table}.{connection.ops.quote_name(pk)} = _v._pk"
        )
        params = [value for row in rows for value in row]
    else:
        sets, params = [], []
        for i, q in enumerate(quoted):
            cases = " ".join("WHEN %s THEN %s" for _ in rows)
            sets.append(f"{q} = {f'{q} + ' if add else ''}CASE {connection.ops.quote_name(pk)} {cases} END")
            for row in rows:
                params += [row[0], row[i + 1]]
        placeholders = ", ".join("%s" for _ in rows)
        where = f"{connection.ops.quote_name(pk)} IN ({placeholders})"
        sql = f"UPDATE {table} SET {', '.join(sets)} WHERE {where}"  # noqa: S608 (metadata names, bound values)
        params += [row[0] for row in rows]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount
