"""Log lines: time, level, logger on one line per event, in every process."""

import logging
import re
import sys

from django.conf import settings

from ops.tests.conftest import manage
from soulseer.logging import OneLineFormatter

LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (INFO|WARNING|ERROR|DEBUG) [\w.]+ \[\d+\] ")


def test_an_exception_and_its_traceback_are_one_line():
    formatter = OneLineFormatter(settings.LOGGING["formatters"]["line"]["format"])
    try:
        raise ValueError("bad\nthing")
    except ValueError:
        record = logging.getLogger("payments.webhooks").makeRecord(
            "payments.webhooks", logging.ERROR, __file__, 1, "failed for %s", ("evt_1",), sys.exc_info()
        )
    line = formatter.format(record)
    assert "\n" not in line
    assert LINE.match(line), line
    assert "failed for evt_1" in line and "Traceback (most recent call last):" in line and "ValueError: bad" in line


def test_the_sweeper_process_logs_timestamped_single_lines(process_env):
    result = manage(process_env, "bill_readings", "--once", timeout=120)
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stderr.splitlines() if "readings.sweeper" in line]
    assert len(lines) == 1, result.stderr
    assert LINE.match(lines[0]), lines[0]
    assert "INFO readings.sweeper" in lines[0] and "took_ms=" in lines[0]
