"""Broadcasts of the streams app. Only services call these, and only after commit.

Groups: ``stream.<id>`` (everyone on one stream's page: handler ``stream.event``) and
``streams.lobby`` (the /live/ list: handler ``lobby.changed``, no data: the page fetches the list).
"""

from __future__ import annotations

from readings.events import send_on_commit

LOBBY_GROUP = "streams.lobby"


def stream_group(stream_id: int) -> str:
    return f"stream.{stream_id}"


def to_stream(stream_id: int, payload: dict) -> None:
    send_on_commit(stream_group(stream_id), {"type": "stream.event", "payload": payload})


def to_lobby() -> None:
    send_on_commit(LOBBY_GROUP, {"type": "lobby.changed"})


def to_stream_built(stream_id: int, build) -> None:
    """Like :func:`to_stream`, but the payload is built after commit (queries outside the transaction's locks)."""
    from django.db import transaction

    from readings.events import _send

    transaction.on_commit(lambda: _send(stream_group(stream_id), {"type": "stream.event", "payload": build()}))
