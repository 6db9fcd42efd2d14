#!/usr/bin/env bash
# Set up and run the whole test suite: lint, then pytest (unit, consumer and Chromium end-to-end tests).
# Runs on the embedded default; set DATABASE_URL / REDIS_URL to run it on PostgreSQL and Redis.
# Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh requirements-dev.txt

# The end-to-end tests drive Debian's Chromium (Playwright cannot download browsers here).
if ! command -v chromium >/dev/null 2>&1 && [ -z "${CHROMIUM_PATH:-}" ]; then
    sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "Installing Debian's chromium for the browser tests..."
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
fi

# The live-stream tests run a real Janus (Debian's janus, VideoRoom plugin); never skipped.
if ! command -v janus >/dev/null 2>&1 && [ -z "${JANUS_BIN:-}" ]; then
    sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "Installing Debian's janus for the live-stream tests..."
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq janus >/dev/null
fi

.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/python manage.py makemigrations --check --dry-run >/dev/null
exec .venv/bin/pytest "$@"
