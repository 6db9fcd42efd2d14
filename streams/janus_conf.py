"""Generate a minimal Janus configuration and start Janus with it (scripts/janus.sh, the tests, the benchmark).

Only what SoulSeer uses is loaded: the VideoRoom plugin and the WebSockets transport, through folders of
symlinks to the packaged ``.so`` files (Debian's ``janus``), so no other plugin or transport (HTTP,
MQTT, the demo rooms...) ever starts. The API listens on 127.0.0.1 only, requires ``api_secret``, the
admin API is off, and only a client holding the VideoRoom ``admin_key`` may create rooms.

Usage (what scripts/janus.sh runs)::

    python -m streams.janus_conf DIR --port 8188 [--rtp 20000-20999] [--nat-1-1 IP] [--enforce IFACE]

prints shell ``export`` lines for ``JANUS_URLS``, ``JANUS_API_SECRET`` and ``JANUS_ADMIN_KEY``.
"""

from __future__ import annotations

import argparse
import glob
import os
import secrets
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

PLUGINS = ["libjanus_videoroom.so"]
TRANSPORTS = ["libjanus_websockets.so"]
LIB_DIRS = [
    "/usr/lib/x86_64-linux-gnu/janus",
    "/usr/lib/aarch64-linux-gnu/janus",
    "/usr/lib/janus",
    "/opt/janus/lib/janus",
]


def janus_binary() -> str | None:
    return (
        os.environ.get("JANUS_BIN")
        or shutil.which("janus")
        or ("/opt/janus/bin/janus" if os.path.exists("/opt/janus/bin/janus") else None)
    )


def library_dir() -> Path:
    for candidate in [os.environ.get("JANUS_LIB_DIR", ""), *LIB_DIRS, *glob.glob("/usr/lib/*/janus")]:
        if candidate and Path(candidate, "plugins", PLUGINS[0]).exists():
            return Path(candidate)
    raise FileNotFoundError("Janus's plugins were not found (install Debian's janus package).")


@dataclass
class JanusConfig:
    directory: Path
    port: int
    api_secret: str
    admin_key: str

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"


def write_config(
    directory: Path | str,
    *,
    port: int,
    api_secret: str | None = None,
    admin_key: str | None = None,
    rtp_ports: str = "",
    nat_1_1: str = "",
    enforce: str = "",
    debug_level: int = 3,
    session_timeout: int = 60,
) -> JanusConfig:
    """Write janus.jcfg, the VideoRoom and WebSockets configs and the symlinked module folders."""
    directory = Path(directory).resolve()
    lib = library_dir()
    for kind, names in (("plugins", PLUGINS), ("transports", TRANSPORTS)):
        folder = directory / kind
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        for name in names:
            (folder / name).symlink_to(lib / kind / name)
    for kind in ("events", "loggers"):  # empty: no event handler or logger plugin loads
        (directory / kind).mkdir(parents=True, exist_ok=True)
    api_secret = api_secret or secrets.token_urlsafe(24)
    admin_key = admin_key or secrets.token_urlsafe(24)
    nat = ["\tnice_debug = false", '\tice_ignore_list = "vmnet"']
    if enforce:
        nat.append(f'\tice_enforce_list = "{enforce}"')
    if nat_1_1:
        nat.append(f'\tnat_1_1_mapping = "{nat_1_1}"')
    media = [f'\trtp_port_range = "{rtp_ports}"'] if rtp_ports else []
    (directory / "janus.jcfg").write_text(
        "\n".join(
            [
                "general: {",
                f'\tconfigs_folder = "{directory}"',
                f'\tplugins_folder = "{directory / "plugins"}"',
                f'\ttransports_folder = "{directory / "transports"}"',
                f'\tevents_folder = "{directory / "events"}"',
                f'\tloggers_folder = "{directory / "loggers"}"',
                f"\tdebug_level = {debug_level}",
                f'\tapi_secret = "{api_secret}"',
                f"\tsession_timeout = {session_timeout}",
                '\tserver_name = "SoulSeer"',
                "}",
                "media: {",
                *media,
                "}",
                "nat: {",
                *nat,
                "}",
                "plugins: {",
                "}",
                "transports: {",
                "}",
                "events: {",
                "\tbroadcast = false",
                "}",
                "",
            ]
        )
    )
    (directory / "janus.plugin.videoroom.jcfg").write_text(
        f'general: {{\n\tadmin_key = "{admin_key}"\n\tlock_rtp_forward = true\n}}\n'
    )
    (directory / "janus.transport.websockets.jcfg").write_text(
        "general: {\n"
        '\tjson = "compact"\n'
        "\tws = true\n"
        f"\tws_port = {port}\n"
        '\tws_ip = "127.0.0.1"\n'
        "\twss = false\n"
        '\tws_acl = "127.0.0.1"\n'
        "}\n"
        "admin: {\n\tadmin_ws = false\n\tadmin_wss = false\n}\n"
    )
    return JanusConfig(directory, port, api_secret, admin_key)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(config: JanusConfig, log_path: Path | str | None = None) -> subprocess.Popen:
    """Start Janus on ``config`` (no daemonizing: the caller owns the process and kills it by PID)."""
    binary = janus_binary()
    if binary is None:
        raise FileNotFoundError("Janus is not installed (Debian package 'janus'; scripts/test.sh installs it).")
    log = open(log_path or config.directory / "janus.log", "ab")  # noqa: SIM115 - owned by the process
    return subprocess.Popen(  # noqa: S603 - our own binary and generated config
        [binary, "-F", str(config.directory), "-C", str(config.directory / "janus.jcfg"), "-o"],
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
    )


def wait_ready(config: JanusConfig, proc: subprocess.Popen | None = None, timeout: float = 20.0) -> None:
    """Wait until the WebSockets API accepts connections (or the process died)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            log = config.directory / "janus.log"
            raise RuntimeError(f"Janus exited early:\n{log.read_text()[-4000:] if log.exists() else ''}")
        try:
            with socket.create_connection(("127.0.0.1", config.port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"Janus did not listen on port {config.port} within {timeout} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory")
    parser.add_argument("--port", type=int, default=8188)
    parser.add_argument("--rtp", default="", help="RTP port range, e.g. 20000-20999")
    parser.add_argument("--nat-1-1", default="", help="public IP to advertise (Janus behind 1:1 NAT)")
    parser.add_argument("--enforce", default="", help="interfaces/IPs to gather ICE candidates on")
    args = parser.parse_args()
    config = write_config(
        args.directory, port=args.port, rtp_ports=args.rtp, nat_1_1=args.nat_1_1, enforce=args.enforce
    )
    print(f"export JANUS_URLS={config.url}")
    print(f"export JANUS_API_SECRET={config.api_secret}")
    print(f"export JANUS_ADMIN_KEY={config.admin_key}")


if __name__ == "__main__":
    main()
