"""The billing sweeper: ops run it as a process next to daphne (``manage.py bill_readings``).

Each sweep expires unanswered requests and settles every live reading (``services.sweep``): it
pauses billing from the moment a party was last heard when their daphne died, charges the
minutes due, and ends readings whose reconnect grace ran out. Each daphne settles its own rooms
too; the sweeper is the backstop when a whole daphne is gone. The database is the clock and each
minute has its own idempotency key, so a killed worker (or a killed sweeper) neither skips nor
doubles a minute.
"""

import signal
import time

from django.core.management.base import BaseCommand

from ops.heartbeat import record_sweep
from readings import conf, events, services


class Command(BaseCommand):
    help = "Charge due reading minutes, expire requests, end abandoned readings (loops; --once for one sweep)."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Run a single sweep and exit.")
        parser.add_argument("--interval", type=float, default=None, help="Seconds between sweeps.")

    def handle(self, *args, once=False, interval=None, **options):
        interval = interval if interval is not None else float(conf.get("READINGS_SWEEP_SECONDS"))
        self.stopping = False
        if not once:
            signal.signal(signal.SIGTERM, self._stop)
            signal.signal(signal.SIGINT, self._stop)
        while True:
            started = time.monotonic()
            result = services.sweep()
            events.drain()  # this pass's broadcasts are out before the next (or before exiting)
            took = time.monotonic() - started
            record_sweep(result, took)  # the heartbeat /health/ checks, and one INFO line per pass
            if once:  # a person ran it by hand: answer them too (the loop's record is the log line)
                self.stdout.write(
                    f"sweep: {result['charged']} minute(s) charged, {result['expired']} request(s) expired, "
                    f"{result['paused']} paused, {result['resumed']} resumed, {result['ended']} reading(s) ended, "
                    f"{result['offline']} reader(s) offline in {took * 1000:.1f} ms"
                )
                self.stdout.flush()
            if once or self.stopping:
                return
            time.sleep(max(0.0, interval - took))
            if self.stopping:
                return

    def _stop(self, signum, frame):
        self.stopping = True
