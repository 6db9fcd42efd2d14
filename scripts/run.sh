#!/usr/bin/env bash
# From a fresh clone to a running site on the embedded default:
# virtual environment, install, migrate, demo data, then daphne on http://127.0.0.1:8000.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh requirements.txt
.venv/bin/python manage.py migrate --noinput
.venv/bin/python manage.py collectstatic --noinput -v0
.venv/bin/python manage.py seed_demo
.venv/bin/python manage.py ensure_admin
eval "$(scripts/janus.sh "$$")"  # live video (streams): a local Janus, stopped with this script
# The billing sweeper: expires unanswered requests, ends abandoned readings, bills what is due.
.venv/bin/python manage.py bill_readings &
sweeper=$!
trap 'kill "$sweeper" 2>/dev/null' EXIT
.venv/bin/python manage.py runserver "${SOULSEER_ADDR:-127.0.0.1:8000}"
