"""Django's PostgreSQL backend, with timestamps read by psycopg's compiled loader.

Django replaces psycopg's ``timestamptz`` loader with one built on psycopg's *pure-Python* parser
(``psycopg_any.BaseTzLoader``, Django ticket #36960), so every ``DateTimeField`` read parses its
text in Python: in a daphne's beat pass over a thousand rooms that was a third of the pass's CPU.
This backend keeps Django's loader (its class, its ``timezone``, what it returns) and only hands
the parsing to the loader psycopg itself registers, the compiled one when ``psycopg[binary]`` or
``psycopg[c]`` is installed. Used as ``ENGINE`` for PostgreSQL by ``soulseer.settings``.
"""

from __future__ import annotations

from functools import lru_cache

import psycopg
from django.db.backends.postgresql import base
from django.db.backends.postgresql.psycopg_any import BaseTzLoader
from psycopg.adapt import AdaptersMap
from psycopg.pq import Format

TIMESTAMPTZ_OID = psycopg.adapters.types["timestamptz"].oid
PARSER = psycopg.adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT)  # psycopg's own: compiled if available


class FastTzLoader(BaseTzLoader):
    """Django's ``timestamptz`` loader (same ``timezone`` contract), parsing with psycopg's loader."""

    def __init__(self, oid, context=None):
        super().__init__(oid, context)
        self._parse = PARSER(oid, context).load

    def load(self, data):
        value = self._parse(data)  # in the connection's time zone, which Django sets to its own
        return value if value.tzinfo is self.timezone else value.replace(tzinfo=self.timezone)


@lru_cache
def fast_loader(timezone) -> type[FastTzLoader]:
    """One loader class per time zone, as Django's ``register_tzloader`` makes, with the same attribute
    ``create_cursor`` compares (so Django does not put its own back on every cursor)."""
    return type("FastTzLoader", (FastTzLoader,), {"timezone": timezone})


@lru_cache
def _adapters(template: AdaptersMap, timezone) -> AdaptersMap:
    adapters = AdaptersMap(template)
    adapters.register_loader(TIMESTAMPTZ_OID, fast_loader(timezone))
    return adapters


class DatabaseWrapper(base.DatabaseWrapper):
    def get_connection_params(self):
        params = super().get_connection_params()
        params["context"] = _adapters(params["context"], self.timezone)
        return params
