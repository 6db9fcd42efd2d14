#!/usr/bin/env bash
# Live video for scripts/run.sh: a local Janus (VideoRoom plugin, WebSockets API on 127.0.0.1 only) with a
# config generated into var/janus/ (fresh API secret and VideoRoom admin key each run).
#
#   eval "$(scripts/janus.sh "$$")"
#
# starts Janus in the background, stopped when process $1 (the caller) exits, and prints the `export`
# lines (JANUS_URLS, JANUS_API_SECRET, JANUS_ADMIN_KEY) for the caller's environment. Installs Debian's
# janus when missing. When Janus cannot run it prints nothing: the site still works and the stream
# pages say that live video is unavailable. With JANUS_URLS already set (an external Janus), it does nothing.
# Optional: JANUS_PORT (default: a free port), JANUS_RTP_PORTS (20000-20999), JANUS_NAT_1_1 (public IP).
set -uo pipefail
cd "$(dirname "$0")/.."
parent="${1:-$PPID}"
[ -z "${JANUS_URLS:-}" ] || exit 0

if ! command -v janus >/dev/null 2>&1; then
    sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "Installing Debian's janus for live video..." >&2
    if ! { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq janus; } >/dev/null 2>&1; then
        echo "Janus could not be installed: live video is unavailable (chat and gifts still work)." >&2
        exit 0
    fi
fi

dir=var/janus
mkdir -p "$dir"
port="${JANUS_PORT:-$(.venv/bin/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}"
if ! exports="$(.venv/bin/python -m streams.janus_conf "$dir" --port "$port" \
        --rtp "${JANUS_RTP_PORTS:-20000-20999}" --nat-1-1 "${JANUS_NAT_1_1:-}")"; then
    echo "Janus's configuration could not be written: live video is unavailable." >&2
    exit 0
fi
janus -F "$dir" -C "$dir/janus.jcfg" -o >"$dir/janus.log" 2>&1 </dev/null &
pid=$!
# Janus lives as long as the caller (by PID; nothing else is touched).
( while kill -0 "$parent" 2>/dev/null && kill -0 "$pid" 2>/dev/null; do sleep 2; done; kill "$pid" 2>/dev/null ) \
    >/dev/null 2>&1 </dev/null &
for _ in $(seq 50); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
        echo "$exports"
        echo "Live video: Janus on 127.0.0.1:$port (log: $dir/janus.log)." >&2
        exit 0
    fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.2
done
kill "$pid" 2>/dev/null
echo "Janus did not start (see $dir/janus.log): live video is unavailable." >&2
exit 0
