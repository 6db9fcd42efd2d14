#!/usr/bin/env bash
# The development path, from a fresh clone to a running site on the embedded default:
# virtual environment, install, migrate, demo data, then daphne on http://127.0.0.1:8000 with,
# beside it, the billing sweeper (bill_readings) and the task worker (db_worker).
# Ctrl-C (or any of the three exiting) stops all three. For production use scripts/run-production.sh
# or deploy/ (docs/production.md): it never seeds demo data.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh requirements.txt
py=.venv/bin/python
$py manage.py migrate --noinput
$py manage.py collectstatic --noinput -v0
$py manage.py seed_demo
$py manage.py ensure_admin
$py manage.py make_photo_thumbnails -v0 >/dev/null
eval "$(scripts/janus.sh "$$")"  # live video (streams): a local Janus, stopped with this script

addr="${SOULSEER_ADDR:-127.0.0.1:8000}"
pids=()
stop() {
    trap - EXIT INT TERM
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait "${pids[@]}" 2>/dev/null || true
}
trap stop EXIT
trap 'exit 130' INT TERM

# The billing sweeper: expires unanswered requests, ends abandoned readings, bills what is due.
$py manage.py bill_readings & pids+=($!)
# The task worker: emails, outgoing Stripe calls, notifications queued by the site.
$py manage.py db_worker --no-reload & pids+=($!)
# daphne (HTTP + WebSockets), no auto-reloader: restart this script after changing Python code.
$py -m daphne --bind "${addr%:*}" --port "${addr##*:}" soulseer.asgi:application & pids+=($!)
echo "SoulSeer on http://$addr (sweeper, worker and daphne running; Ctrl-C stops them)"
wait -n "${pids[@]}"
