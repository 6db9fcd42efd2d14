"""A few seconds of memory for the public listings (home, the reader directory) in each process.

Those pages run the same handful of queries for every visitor; under load that was most of their
time. Their results are kept per process for ``SOULSEER_LISTING_CACHE_SECONDS`` (5 s: a reader who
comes online shows within that on a fresh page load; open pages get presence live anyway), then
built again. ``0`` turns it off.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache

T = TypeVar("T")


def remembered(name: str, parts: object, build: Callable[[], T]) -> T:
    """``build()``'s result for ``(name, parts)``, computed at most once per window in this process."""
    seconds = settings.SOULSEER_LISTING_CACHE_SECONDS
    if seconds <= 0:
        return build()
    key = f"listing:{name}:" + hashlib.sha256(repr(parts).encode()).hexdigest()
    value = cache.get(key)
    if value is None:
        value = build()
        cache.set(key, value, seconds)
    return value
