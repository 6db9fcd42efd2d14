"""Heartbeats of the background processes, and the sweeper's one summary line per pass.

``beat(name)`` upserts the process's :class:`~ops.models.ProcessHeartbeat` row, at most once per
``OPS_HEARTBEAT_WRITE_SECONDS`` per process (the sweeper passes every second; one write in ten is
plenty for a check with a 60 s window). A failed write is logged and never stops the process.
"""

from __future__ import annotations

import logging
import os
import socket
import time

from django.db import DatabaseError
from django.utils import timezone

from ops import conf
from ops.models import ProcessHeartbeat

log = logging.getLogger(__name__)
sweep_log = logging.getLogger("readings.sweeper")

SWEEPER = "bill_readings"
WORKER = "db_worker"

_last_write: dict[str, float] = {}


def beat(name: str, detail: str = "", *, force: bool = False) -> bool:
    """Record that ``name`` is alive now. Returns whether a row was written."""
    now = time.monotonic()
    last = _last_write.get(name)
    if not force and last is not None and now - last < float(conf.get("OPS_HEARTBEAT_WRITE_SECONDS")):
        return False
    try:
        ProcessHeartbeat.objects.update_or_create(
            name=name,
            defaults={
                "beat_at": timezone.now(),
                "hostname": socket.gethostname()[:255],
                "pid": os.getpid(),
                "detail": detail[:255],
            },
        )
    except DatabaseError:
        log.warning("could not record the %s heartbeat", name, exc_info=True)
        return False
    _last_write[name] = now
    return True


def record_sweep(result: dict, took: float) -> None:
    """The sweeper's pass: one INFO line with its counts and pass time, and the heartbeat."""
    summary = " ".join(f"{key}={value}" for key, value in result.items()) + f" took_ms={took * 1000:.1f}"
    sweep_log.info("sweep %s", summary)
    beat(SWEEPER, summary)
