"""Operations settings with their defaults (see the "Production edge" block in settings.py)."""

from django.conf import settings

DEFAULTS = {
    # A process's heartbeat row is written at most this often (the sweeper passes every second).
    "OPS_HEARTBEAT_WRITE_SECONDS": 10.0,
    # /health/ reports the sweeper / the task worker stale past these ages.
    "OPS_SWEEPER_MAX_AGE_SECONDS": 60.0,
    "OPS_WORKER_MAX_AGE_SECONDS": 120.0,
}


def get(name: str):
    return getattr(settings, name, DEFAULTS[name])
