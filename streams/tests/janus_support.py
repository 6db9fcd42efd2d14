"""A real Janus for the tests and the benchmark: generated config, free ports, killed by PID afterwards."""

import os
import secrets
import tempfile
from contextlib import contextmanager
from pathlib import Path

from streams import janus_conf


@contextmanager
def running_janus(**options):
    """Start Janus (VideoRoom + WebSockets only) on a free port; yields its JanusConfig.

    Janus advertises 127.0.0.1 (``nat_1_1_mapping``): Janus 1.1 never gathers candidates on a loopback
    interface (src/ice.c skips IFF_LOOPBACK), so its sockets sit on the machine's own interface address
    and ICE completes through the peer-reflexive pair Chromium and Janus discover; the media never
    leaves this machine.
    """
    options.setdefault("nat_1_1", "127.0.0.1")
    directory = Path(tempfile.mkdtemp(prefix="soulseer-janus-"))
    start = 20000 + secrets.randbelow(400) * 100  # an RTP range of 100 ports; libnice skips ports in use
    config = janus_conf.write_config(
        directory, port=janus_conf.free_port(), rtp_ports=f"{start}-{start + 99}", **options
    )
    proc = janus_conf.start(config)
    config.process = proc  # a test may kill it (a Janus "restart")
    try:
        janus_conf.wait_ready(config, proc)
        yield config
    finally:
        if proc.poll() is None:
            proc.terminate()
        try:
            proc.wait(timeout=10)
        except Exception:
            proc.kill()
            proc.wait(timeout=10)
        if os.environ.get("E2E_SHOW_SERVER_LOG"):
            print((directory / "janus.log").read_text()[-6000:])


def janus_env(config) -> dict:
    return {"JANUS_URLS": config.url, "JANUS_API_SECRET": config.api_secret, "JANUS_ADMIN_KEY": config.admin_key}
