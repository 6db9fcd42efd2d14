"""``manage.py db_worker``: django-tasks-db's worker, plus a heartbeat on every pass of its loop.

The ``ops`` app is listed before ``django_tasks_db`` in INSTALLED_APPS, so this command is the one
``manage.py db_worker`` runs. It is the library's command unchanged except that its worker loop,
which reads ``running`` once per pass (idle or not), records the ``db_worker`` heartbeat there
(throttled, see :func:`ops.heartbeat.beat`), so ``/health/`` can tell a stopped worker.
"""

from django_tasks_db.management.commands import db_worker

from ops import heartbeat


class BeatingWorker(db_worker.Worker):
    @property
    def running(self) -> bool:
        if self._running:
            heartbeat.beat(heartbeat.WORKER, f"worker {self.worker_id[:8]} ran {self._run_tasks} task(s)")
        return self._running

    @running.setter
    def running(self, value: bool) -> None:
        self._running = value


class Command(db_worker.Command):
    def handle(self, *args, **options):
        original = db_worker.Worker
        db_worker.Worker = BeatingWorker
        try:
            return super().handle(*args, **options)
        finally:
            db_worker.Worker = original
