#!/usr/bin/env bash
# Set up and run the whole test suite: lint, then pytest (unit, consumer and Chromium end-to-end tests).
# Runs on the embedded default; set DATABASE_URL / REDIS_URL to run it on PostgreSQL and Redis.
# Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh requirements-dev.txt

# Debian packages the tests drive, installed when missing: Chromium for the browser tests (Playwright
# cannot download browsers here); nginx with its brotli modules and coturn for the production-edge
# tests (deploy/). A fresh install must not start services: policy-rc.d says so where it is missing.
missing=()
if ! command -v chromium >/dev/null 2>&1 && [ -z "${CHROMIUM_PATH:-}" ]; then missing+=(chromium); fi
if ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ]; then missing+=(nginx); fi
for module in brotli-filter brotli-static; do
    if [ ! -e "/usr/lib/nginx/modules/ngx_http_${module/-/_}_module.so" ]; then missing+=("libnginx-mod-http-$module"); fi
done
if ! command -v turnserver >/dev/null 2>&1; then missing+=(coturn); fi
if [ "${#missing[@]}" -gt 0 ]; then
    sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "Installing Debian's ${missing[*]} for the tests..."
    $sudo apt-get update -qq
    no_start=""
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        no_start=1
        printf '#!/bin/sh\nexit 101\n' | $sudo tee /usr/sbin/policy-rc.d >/dev/null
        $sudo chmod +x /usr/sbin/policy-rc.d
    fi
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq -o DPkg::Lock::Timeout=600 "${missing[@]}" >/dev/null
    if [ -n "$no_start" ]; then $sudo rm -f /usr/sbin/policy-rc.d; fi
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
# Two workers (pytest-xdist), each with its own test database and channel prefix; the browser tests
# and the fault tests each run as one group on one worker. TEST_WORKERS=0 runs everything in this process.
exec .venv/bin/pytest -n "${TEST_WORKERS:-2}" --dist loadgroup "$@"
