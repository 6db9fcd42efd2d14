"""``/health/`` for load balancers and uptime monitors (django-health-check).

Checks: the database, Redis when ``REDIS_URL`` is set, and that the billing sweeper and the task
worker have each beaten within their period (see :mod:`ops.heartbeat`). Any failure answers 500
with the failing check named; all green answers 200. ``?format=json`` or ``Accept: application/json``
gives a machine-readable answer.
"""

from __future__ import annotations

import dataclasses

from asgiref.sync import sync_to_async
from django.conf import settings
from django.utils import timezone
from health_check.base import HealthCheck
from health_check.checks import Database
from health_check.exceptions import ServiceUnavailable
from health_check.views import HealthCheckView

from ops import conf, heartbeat
from ops.models import ProcessHeartbeat


@dataclasses.dataclass
class Heartbeat(HealthCheck):
    """A background process has beaten within ``max_age_setting`` seconds."""

    process: str = ""
    max_age_setting: str = dataclasses.field(default="", repr=False)

    def _stale_reason(self) -> str | None:
        max_age = float(conf.get(self.max_age_setting))
        row = ProcessHeartbeat.objects.filter(name=self.process).first()
        if row is None:
            return f"{self.process} has never run"
        age = (timezone.now() - row.beat_at).total_seconds()
        if age > max_age:
            return f"{self.process} last ran {age:.0f} s ago (limit {max_age:.0f} s)"
        return None

    async def run(self) -> None:
        # thread_sensitive: the ORM runs where the request's connection lives.
        reason = await sync_to_async(self._stale_reason, thread_sensitive=True)()
        if reason:
            raise ServiceUnavailable(reason)


def checks() -> list:
    found: list = [
        Database,
        (Heartbeat, {"process": heartbeat.SWEEPER, "max_age_setting": "OPS_SWEEPER_MAX_AGE_SECONDS"}),
        (Heartbeat, {"process": heartbeat.WORKER, "max_age_setting": "OPS_WORKER_MAX_AGE_SECONDS"}),
    ]
    if settings.REDIS_URL:
        from health_check.contrib.redis import Redis
        from redis.asyncio import Redis as RedisClient

        url = settings.REDIS_URL
        found.append((Redis, {"client_factory": lambda: RedisClient.from_url(url, socket_timeout=3)}))
    return found


class HealthView(HealthCheckView):
    template_name = "ops/health.html"

    def get_checks(self):
        self.checks = checks()
        return super().get_checks()


health = HealthView.as_view()
