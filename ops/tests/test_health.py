"""/health/: the database, Redis when configured, and the heartbeats of the sweeper and the worker."""

import json
import logging
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from ops import heartbeat
from ops.models import ProcessHeartbeat


def beat_both(age_seconds: float = 0) -> None:
    at = timezone.now() - timedelta(seconds=age_seconds)
    for name in (heartbeat.SWEEPER, heartbeat.WORKER):
        ProcessHeartbeat.objects.update_or_create(name=name, defaults={"beat_at": at})


def health(client, **extra):
    response = client.get("/health/?format=json", **extra)
    return response.status_code, json.loads(response.content)


@pytest.fixture(autouse=True)
def _fresh_throttle():
    heartbeat._last_write.clear()
    yield
    heartbeat._last_write.clear()


@pytest.mark.django_db
def test_healthy_when_the_database_answers_and_both_processes_beat_recently(client, settings):
    settings.REDIS_URL = ""
    beat_both(age_seconds=5)
    status, body = health(client)
    assert status == 200, body
    assert set(body.values()) == {"OK"}
    assert any(k.startswith("Database") for k in body)
    assert sum("bill_readings" in k or "db_worker" in k for k in body) == 2


@pytest.mark.django_db
def test_a_stopped_sweeper_is_reported_unhealthy(client, settings):
    settings.REDIS_URL = ""
    beat_both()
    ProcessHeartbeat.objects.filter(name=heartbeat.SWEEPER).update(beat_at=timezone.now() - timedelta(minutes=5))
    status, body = health(client)
    assert status == 500
    sweeper = next(v for k, v in body.items() if "bill_readings" in k)
    assert "bill_readings last ran 300 s ago (limit 60 s)" in sweeper
    assert next(v for k, v in body.items() if "db_worker" in k) == "OK"


@pytest.mark.django_db
def test_a_worker_that_never_ran_is_reported_unhealthy(client, settings):
    settings.REDIS_URL = ""
    ProcessHeartbeat.objects.create(name=heartbeat.SWEEPER, beat_at=timezone.now())
    status, body = health(client)
    assert status == 500
    assert "db_worker has never run" in next(v for k, v in body.items() if "db_worker" in k)


@pytest.mark.django_db
def test_the_html_page_for_people_names_the_failing_check(client, settings):
    settings.REDIS_URL = ""
    response = client.get("/health/", HTTP_ACCEPT="text/html")
    assert response.status_code == 500
    assert "has never run" in response.content.decode()
    assert response["Cache-Control"].startswith("max-age=0")


@pytest.mark.django_db
def test_redis_is_checked_when_configured_and_a_dead_one_fails(client, settings):
    beat_both()
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    status, body = health(client)
    assert status == 500
    assert any(k.startswith("Redis") and v != "OK" for k, v in body.items()), body


@pytest.mark.django_db
def test_the_sweeper_records_its_beat_and_logs_one_summary_line_per_pass(caplog):
    with caplog.at_level(logging.INFO, logger="readings.sweeper"):
        call_command("bill_readings", "--once")
    row = ProcessHeartbeat.objects.get(name=heartbeat.SWEEPER)
    assert (timezone.now() - row.beat_at).total_seconds() < 10
    lines = [r for r in caplog.records if r.name == "readings.sweeper"]
    assert len(lines) == 1
    assert lines[0].levelname == "INFO"
    assert "charged=0" in lines[0].getMessage() and "took_ms=" in lines[0].getMessage()


@pytest.mark.django_db
def test_heartbeat_writes_are_throttled(settings):
    settings.OPS_HEARTBEAT_WRITE_SECONDS = 60
    assert heartbeat.beat("bill_readings") is True
    assert heartbeat.beat("bill_readings") is False
    assert heartbeat.beat("bill_readings", force=True) is True
