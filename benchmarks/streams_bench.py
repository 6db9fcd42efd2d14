"""Live-stream benchmark (not a test): one publisher and N subscribers through one local Janus.

It starts its own Janus (generated config, free ports) and its own daphne, both stopped by PID at the
end. The publisher is the reader's real studio page in headless Chromium (fake camera) publishing
through the stream consumer; the N subscribers are aiortc peers that each open the stream socket as a
signed-in client, ask to watch, answer Janus's offer and wait for the first decoded video frame
(after which their decoders stop decoding, so the benchmark process measures Janus and daphne, not
Python video decoding). Reported: join → first frame (median, p95), Janus's and daphne's CPU while N
subscribers receive, and the gifts per second the ledger takes when every subscriber sends one gift at
the same moment (several rounds).

Run it on its own database and Redis db (it creates bench people and a stream there):

    pip install -r benchmarks/requirements-streams.txt       # aiortc, psutil
    createdb -h 127.0.0.1 -U postgres streams_bench
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/streams_bench REDIS_URL=redis://127.0.0.1:6379/7
    .venv/bin/python manage.py migrate
    .venv/bin/python benchmarks/streams_bench.py -n 10 -n 50 -n 200
"""

import argparse
import asyncio
import json
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "soulseer.settings")
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # setup runs the ORM next to Playwright's loop

import django  # noqa: E402

django.setup()

import psutil  # noqa: E402
import websockets  # noqa: E402
from aiortc import RTCPeerConnection, RTCSessionDescription, codecs, rtcrtpreceiver  # noqa: E402
from aiortc.sdp import candidate_from_sdp  # noqa: E402
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY  # noqa: E402
from django.contrib.sessions.backends.db import SessionStore  # noqa: E402
from django.db.models import Max  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import ReaderProfile, User  # noqa: E402
from payments import services as payments  # noqa: E402
from streams import janus_conf, services  # noqa: E402
from streams.models import Gift, Stream  # noqa: E402

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
]


# --- subscribers decode their first frames only -----------------------------------------------------


class FirstFramesDecoder:
    """Decodes until one frame came out, then drops packets: N Python decoders would measure aiortc."""

    def __init__(self, inner):
        self.inner = inner
        self.done = False

    def decode(self, encoded_frame):
        if self.done:
            return []
        frames = self.inner.decode(encoded_frame)
        if frames:
            self.done = True
        return frames


logging.getLogger("aioice").setLevel(logging.WARNING)
logging.getLogger("aiortc").setLevel(logging.ERROR)  # "failed to decode" until the first keyframe
_get_decoder = codecs.get_decoder
rtcrtpreceiver.get_decoder = lambda codec: FirstFramesDecoder(_get_decoder(codec))


def percentile(values, p):
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))]


def session_for(user) -> str:
    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return store.session_key


def free_port() -> int:
    return janus_conf.free_port()


class Subscriber:
    def __init__(self, base_ws: str, stream_id: int, session_key: str):
        self.url = f"{base_ws}/ws/streams/{stream_id}/"
        self.origin = base_ws.replace("ws", "http", 1)  # the socket's own scheme, host and port, as a page's
        self.cookie = f"sessionid={session_key}"
        self.pc = None
        self.ws = None
        self.first_frame = asyncio.get_running_loop().create_future()
        self.gift_done: dict[str, asyncio.Future] = {}
        self.joined_at = 0.0
        self.reader_task = None

    async def join(self, timeout: float) -> float:
        self.joined_at = time.perf_counter()
        self.ws = await websockets.connect(
            self.url, additional_headers={"Cookie": self.cookie, "Origin": self.origin}, max_size=2**22
        )
        self.reader_task = asyncio.ensure_future(self._read())
        await self.ws.send(json.dumps({"type": "watch"}))
        await asyncio.wait_for(self.first_frame, timeout)
        return time.perf_counter() - self.joined_at

    async def _read(self):
        async for raw in self.ws:
            m = json.loads(raw)
            if m["type"] == "offer":
                await self._answer(m["sdp"])
            elif m["type"] == "ice" and m.get("candidate") and self.pc is not None:
                c = m["candidate"]
                candidate = candidate_from_sdp(c["candidate"].split(":", 1)[1])
                candidate.sdpMid, candidate.sdpMLineIndex = c.get("sdpMid"), c.get("sdpMLineIndex")
                await self.pc.addIceCandidate(candidate)
            elif m["type"] == "gift_sent" and m["key"] in self.gift_done:
                self.gift_done[m["key"]].set_result(True)
            elif m["type"] == "error" and m.get("key") in self.gift_done:
                self.gift_done[m["key"]].set_exception(RuntimeError(m["message"]))
            elif m["type"] == "video" and m.get("state") == "error" and not self.first_frame.done():
                self.first_frame.set_exception(RuntimeError(m.get("message")))

    async def _answer(self, sdp: str):
        self.pc = RTCPeerConnection()

        @self.pc.on("track")
        def on_track(track):
            if track.kind == "video":
                asyncio.ensure_future(self._first(track))

        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="offer"))
        await self.pc.setLocalDescription(await self.pc.createAnswer())
        await self.ws.send(json.dumps({"type": "answer", "sdp": self.pc.localDescription.sdp}))

    async def _first(self, track):
        frame = await track.recv()
        if not self.first_frame.done() and frame.width > 0:
            self.first_frame.set_result(True)

    async def gift(self, slug: str) -> None:
        key = str(uuid.uuid4())
        self.gift_done[key] = asyncio.get_running_loop().create_future()
        await self.ws.send(json.dumps({"type": "gift", "gift": slug, "key": key}))
        await asyncio.wait_for(self.gift_done[key], 120)

    async def close(self):
        if self.pc is not None:
            await self.pc.close()
        if self.ws is not None:
            await self.ws.close()
        if self.reader_task is not None:
            self.reader_task.cancel()


def cpu_window(procs: dict[str, psutil.Process], seconds: float) -> dict[str, float]:
    for p in procs.values():
        p.cpu_percent(None)
    time.sleep(seconds)
    return {name: p.cpu_percent(None) for name, p in procs.items()}


async def run_round(n: int, base: str, stream: Stream, clients: list[User], procs, args) -> dict:
    keys = [session_for(u) for u in clients[:n]]
    subs = [Subscriber(base.replace("http", "ws"), stream.pk, k) for k in keys]
    gate = asyncio.Semaphore(args.concurrency)
    times, failures = [], []

    async def one(sub):
        async with gate:
            try:
                times.append(await sub.join(args.timeout))
            except Exception as exc:  # a subscriber that never saw a frame is reported, not hidden
                failures.append(repr(exc)[:120])

    t0 = time.perf_counter()
    await asyncio.gather(*(one(s) for s in subs))
    all_joined = time.perf_counter() - t0
    procs = {**procs, "bench": psutil.Process()}
    cpu = await asyncio.to_thread(cpu_window, procs, args.cpu_seconds)
    bench_cpu = cpu["bench"]
    # Every subscriber sends a gift at the same moment, several rounds: gifts per second into the ledger.
    before = Gift.objects.count()
    for p in procs.values():
        p.cpu_percent(None)
    gift_errors, commit_rates = 0, []
    g0 = time.perf_counter()
    for _ in range(args.gift_rounds):
        sent_at = timezone.now()
        results = await asyncio.gather(*(s.gift("heart") for s in subs), return_exceptions=True)
        gift_errors += sum(isinstance(r, Exception) for r in results)
        # The ledger's rate: gifts written per second from the moment all were sent to the last one written
        # (the acknowledgements also wait for each gift's fan-out to every page, measured separately).
        last = Gift.objects.filter(stream=stream, created_at__gte=sent_at).aggregate(m=Max("created_at"))["m"]
        if last is not None:
            commit_rates.append(n / max((last - sent_at).total_seconds(), 1e-3))
    gift_seconds = time.perf_counter() - g0
    gift_cpu = {name: p.cpu_percent(None) for name, p in procs.items()}
    gifts = Gift.objects.count() - before
    for s in subs:
        await s.close()
    return {
        "n": n,
        "ok": len(times),
        "failed": len(failures),
        "first_frame_median_s": round(statistics.median(times), 3) if times else None,
        "first_frame_p95_s": round(percentile(times, 95), 3) if times else None,
        "all_joined_s": round(all_joined, 2),
        "janus_cpu_pct": round(cpu["janus"], 1),
        "daphne_cpu_pct": round(cpu["daphne"], 1),
        "bench_cpu_pct": round(bench_cpu, 1),
        "daphne_cpu_during_gifts_pct": round(gift_cpu["daphne"], 1),
        "gifts": gifts,
        "gift_errors": gift_errors,
        "gifts_per_s_acked": round(gifts / gift_seconds, 1) if gift_seconds else None,
        "gifts_per_s_ledger": round(statistics.median(commit_rates), 1) if commit_rates else None,
        "failures": failures[:3],
    }


def anchors(client: User, reader: User) -> dict:
    """Figures measured in the same run to judge the others by: a bare query, one ledger charge alone."""
    from django.db import connection

    t = time.perf_counter()
    for _ in range(50):
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    select_ms = (time.perf_counter() - t) / 50 * 1000
    t = time.perf_counter()
    for _ in range(20):
        payments.charge(client, reader, Decimal("0.50"), key=f"bench-anchor:{uuid.uuid4()}", memo="bench anchor")
    charge_ms = (time.perf_counter() - t) / 20 * 1000
    return {"select_1_ms": round(select_ms, 2), "ledger_charge_ms": round(charge_ms, 1), "load": os.getloadavg()}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, action="append", help="subscribers (repeat: -n 10 -n 50 -n 200)")
    parser.add_argument("--concurrency", type=int, default=25, help="subscribers negotiating at once")
    parser.add_argument("--timeout", type=float, default=90.0, help="seconds to wait for a first frame")
    parser.add_argument("--cpu-seconds", type=float, default=10.0)
    parser.add_argument("--gift-rounds", type=int, default=3)
    args = parser.parse_args()
    sizes = args.n or [10, 50, 200]
    from playwright.sync_api import sync_playwright

    run = uuid.uuid4().hex[:6]
    reader = User.objects.create(email=f"bench-{run}-reader@bench.test", role="reader")
    ReaderProfile.objects.create(user=reader, display_name=f"Bench {run}", slug=f"bench-{run}")
    reader.refresh_from_db()
    clients = [User.objects.create(email=f"bench-{run}-c{i}@bench.test", role="client") for i in range(max(sizes))]
    for c in clients:
        payments.credit_wallet(c, Decimal("50.00"), key=f"bench:{run}:{c.pk}", memo="bench funds")

    directory = Path(tempfile.mkdtemp(prefix="bench-janus-"))
    config = janus_conf.write_config(directory, port=free_port(), rtp_ports="30000-31999")
    janus = janus_conf.start(config)
    port = free_port()
    env = {
        **os.environ,
        "JANUS_URLS": config.url,
        "JANUS_API_SECRET": config.api_secret,
        "JANUS_ADMIN_KEY": config.admin_key,
        "DEBUG": "true",
        "CONN_MAX_AGE": os.environ.get("CONN_MAX_AGE", "600"),
        "LOG_LEVEL": "WARNING",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    daphne = subprocess.Popen(
        [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "soulseer.asgi:application"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    results = []
    try:
        janus_conf.wait_ready(config, janus)
        for _ in range(100):
            try:
                import urllib.request

                urllib.request.urlopen(f"{base}/live/", timeout=2)
                break
            except Exception:
                time.sleep(0.3)
        print(json.dumps({"anchors": anchors(clients[0], reader)}), flush=True)
        stream = services.go_live(reader, title="Benchmark stream", janus_urls=[config.url])
        procs = {"janus": psutil.Process(janus.pid), "daphne": psutil.Process(daphne.pid)}
        with sync_playwright() as pw:
            chromium = os.environ.get("CHROMIUM_PATH") or "/usr/bin/chromium"
            browser = pw.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)
            context = browser.new_context()
            context.add_cookies([{"name": "sessionid", "value": session_for(reader), "url": base}])
            page = context.new_page()
            page.goto(f"{base}/live/studio/")
            page.wait_for_function(
                "() => document.getElementById('video-status').textContent.includes('You are live')", timeout=60000
            )
            for n in sizes:
                # In a thread of its own: Playwright's sync API keeps an event loop in this one.
                with ThreadPoolExecutor(1) as pool:
                    result = pool.submit(asyncio.run, run_round(n, base, stream, clients, procs, args)).result()
                results.append(result)
                print(json.dumps(result), flush=True)
            browser.close()
        services.end_stream(stream, reader)
    finally:
        daphne.terminate()
        janus.terminate()
        for proc in (daphne, janus):
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
    print("\n| N | first frame median | p95 | got video | Janus CPU | daphne CPU | gifts/s ledger | gifts/s acked |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in results:
        print(
            f"| {r['n']} | {r['first_frame_median_s']} s | {r['first_frame_p95_s']} s | {r['ok']}/{r['n']} "
            f"| {r['janus_cpu_pct']} % | {r['daphne_cpu_pct']} % "
            f"| {r['gifts_per_s_ledger']} | {r['gifts_per_s_acked']} |"
        )


if __name__ == "__main__":
    main()
