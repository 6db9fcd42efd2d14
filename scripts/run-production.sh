#!/usr/bin/env bash
# A production run on one machine without systemd (or to try the production settings locally):
# checks the settings, migrates, collects static files, then runs DAPHNE_PORTS daphne processes,
# the billing sweeper and the task worker, stopping them all when any stops or on Ctrl-C.
# Never seeds demo data. Put nginx (deploy/nginx/soulseer.conf) in front; with systemd prefer
# deploy/systemd/ (docs/production.md).
#
#   DEBUG=false SECRET_KEY=... ALLOWED_HOSTS=soulseer.example.com DATABASE_URL=postgres://... \
#   REDIS_URL=redis://127.0.0.1:6379/0 scripts/run-production.sh
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${DEBUG:-}" != "false" ] && [ "${DEBUG:-}" != "False" ] && [ "${DEBUG:-}" != "0" ]; then
    echo "run-production.sh runs with DEBUG=false only (set it, with SECRET_KEY and ALLOWED_HOSTS)." >&2
    exit 2
fi
ports="${DAPHNE_PORTS:-8001 8002 8003 8004}"
if [ "$(wc -w <<<"$ports")" -gt 1 ] && [ -z "${REDIS_URL:-}" ]; then
    echo "Several daphne processes need REDIS_URL (the in-memory channel layer is per process)." >&2
    exit 2
fi
scripts/setup.sh requirements.txt
py=.venv/bin/python
$py manage.py check --deploy --fail-level WARNING
$py manage.py migrate --noinput
$py manage.py collectstatic --noinput -v0
$py manage.py ensure_admin
$py manage.py make_photo_thumbnails -v0 >/dev/null

pids=()
stop() {
    trap - EXIT INT TERM
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait "${pids[@]}" 2>/dev/null || true
}
trap stop EXIT
trap 'exit 130' INT TERM

$py manage.py bill_readings & pids+=($!)
$py manage.py db_worker --no-reload --queue-name '*' & pids+=($!)
for port in $ports; do
    $py -m daphne --bind 127.0.0.1 --port "$port" --proxy-headers soulseer.asgi:application & pids+=($!)
done
wait -n "${pids[@]}"
