#!/usr/bin/env bash
# Lighthouse mobile performance of a page (default: home) against production-like settings:
# DEBUG=false, collected static files (whitenoise, compressed + hashed), daphne, the demo data.
# Usage: benchmarks/lighthouse.sh [path] [runs]      e.g. benchmarks/lighthouse.sh / 3
# Needs Node.js (npm) and Chromium (CHROME_PATH, default /usr/bin/chromium). Installs the npm
# `lighthouse` package once into benchmarks/.lighthouse (git-ignored). Prints each run's score and
# the median; the JSON reports are left in $OUT (default /tmp/soulseer-lighthouse).
set -euo pipefail
cd "$(dirname "$0")/.."
path="${1:-/}"
runs="${2:-3}"
out="${OUT:-/tmp/soulseer-lighthouse}"
mkdir -p "$out"
export CHROME_PATH="${CHROME_PATH:-/usr/bin/chromium}"

tools=benchmarks/.lighthouse
if [ ! -x "$tools/node_modules/.bin/lighthouse" ]; then
    npm install --prefix "$tools" --no-audit --no-fund --silent lighthouse@12 >/dev/null
fi

work="$(mktemp -d)"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
export DEBUG=false SECRET_KEY=lighthouse-benchmark-only ALLOWED_HOSTS=127.0.0.1 SECURE_SSL_REDIRECT=false \
    DATABASE_URL="sqlite:///$work/db.sqlite3" MEDIA_ROOT="$work/media" PRIVATE_MEDIA_ROOT="$work/private" LOG_LEVEL=WARNING
.venv/bin/python manage.py migrate --noinput -v0
.venv/bin/python manage.py collectstatic --noinput -v0
.venv/bin/python manage.py seed_demo --allow-production >/dev/null  # a scratch database of its own
.venv/bin/python -m daphne -b 127.0.0.1 -p "$port" soulseer.asgi:application >"$work/daphne.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 300); do curl -fsS -o /dev/null "http://127.0.0.1:$port/" 2>/dev/null && break; sleep 0.2; done
curl -fsS -o /dev/null "http://127.0.0.1:$port/" || { echo "daphne did not answer:"; cat "$work/daphne.log"; exit 1; }

scores=()
for n in $(seq "$runs"); do
    "$tools/node_modules/.bin/lighthouse" "http://127.0.0.1:$port$path" --quiet \
        --only-categories=performance --form-factor=mobile \
        --chrome-flags="--headless=new --no-sandbox --disable-gpu" \
        --output=json --output-path="$out/run-$n.json" >/dev/null 2>&1
    score="$(python3 -c "import json,sys; r=json.load(open(sys.argv[1])); a=r['audits'];
print(round(r['categories']['performance']['score']*100), 'FCP', a['first-contentful-paint']['displayValue'],
 'LCP', a['largest-contentful-paint']['displayValue'], 'TBT', a['total-blocking-time']['displayValue'],
 'CLS', a['cumulative-layout-shift']['displayValue'])" "$out/run-$n.json")"
    echo "run $n: performance $score"
    scores+=("${score%% *}")
done
printf '%s\n' "${scores[@]}" | sort -n | awk '{a[NR]=$1} END {print "median performance (mobile) of '"$path"':", a[int((NR+1)/2)]}'
