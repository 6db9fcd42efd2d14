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

# axe-core (npm) is injected into every page the browser tests visit (conftest.py).
if [ ! -f frontend/node_modules/axe-core/axe.min.js ]; then
    echo "Installing the frontend's npm packages (axe-core for the browser tests)..."
    if ! command -v npm >/dev/null 2>&1; then
        sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
        $sudo apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq nodejs npm >/dev/null
    fi
    if [ -f frontend/package-lock.json ]; then (cd frontend && npm ci --no-audit --no-fund); else (cd frontend && npm install --no-audit --no-fund); fi
fi

.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/python manage.py makemigrations --check --dry-run >/dev/null
exec .venv/bin/pytest "$@"
