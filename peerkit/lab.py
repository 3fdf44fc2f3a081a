"""``peerkit lab``: the poll service plus JupyterLab on the workshop notebooks, started together.

The service runs as its own process (participants reach it, never a Jupyter kernel); JupyterLab
gets the service URL, the room and the facilitator key through its environment, which its
kernels inherit. Ctrl-C stops JupyterLab first and then the service, which finishes the
responses it is writing before it exits.
"""

from __future__ import annotations

import ipaddress
import os
import re
import secrets
import signal
import socket
import struct
import subprocess
import sys
import time
from pathlib import Path

from .config import data_home, environment
from .resume import kept_room

SERVICE_LINE = re.compile(r"listening on (http://\S+)")


def lan_address() -> str | None:
    """This machine's address on the local network, if it has one (for phones to reach).

    Reads the addresses of the network interfaces (no traffic is sent); a private address such
    as 192.168.x.x is preferred, as that is what a room's Wi-Fi hands out.
    """
    found = [a for a in _interface_addresses() if not a.is_loopback and not a.is_link_local]
    if not found:
        try:
            infos = socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)
        except OSError:
            infos = []
        found = [ipaddress.ip_address(sockaddr[0]) for *_, sockaddr in infos]
        found = [a for a in found if not a.is_loopback]
    found.sort(key=lambda a: not a.is_private)
    return str(found[0]) if found else None


def _interface_addresses() -> list[ipaddress.IPv4Address]:
    """IPv4 addresses of this machine's interfaces (Linux: SIOCGIFADDR)."""
    try:
        import fcntl
    except ImportError:  # not Linux or macOS
        return []
    addresses = []
    for _index, name in socket.if_nameindex():
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            try:
                packed = fcntl.ioctl(sock.fileno(), 0x8915, struct.pack("256s", name[:15].encode()))
            except OSError:
                continue
        addresses.append(ipaddress.IPv4Address(packed[20:24]))
    return addresses


def start_service(
    db: Path | None, host: str, port: int, env: dict[str, str], timeout: float = 30
) -> tuple[subprocess.Popen, str]:
    """Start ``peerkit serve`` in its own process group and wait until it listens.

    ``db=None``: the database in ``$PEERKIT_DATABASE_URL`` (kept off the command line, where
    other users could read a password in it)."""
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "peerkit",
            "serve",
            "--host",
            host,
            "--port",
            str(port),
            *(["--db", str(db)] if db is not None else []),
        ],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,
    )
    deadline = time.monotonic() + timeout
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        match = SERVICE_LINE.search(line)
        if match:
            return proc, match.group(1)
    proc.kill()
    raise RuntimeError("the poll service did not start; run `peerkit serve` to see why")


def _stop(proc: subprocess.Popen, name: str, grace: float = 15) -> None:
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        print(f"{name} did not stop in {grace:.0f} s; killing it", file=sys.stderr)
        proc.kill()
        proc.wait()


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def run_lab(
    *,
    host: str,
    port: int,
    notebooks: Path,
    new_room: bool,
    title: str,
    jupyter_args: list[str],
    public_url: str = "",
) -> int:
    import segno

    from .store import display_location

    home = data_home()
    home.mkdir(parents=True, exist_ok=True)
    url = environment().database_url
    db = None if url else home / "peerkit.db"
    shown = display_location(url) if url else str(db)
    create_key = environment().create_key or secrets.token_urlsafe(24)
    env = {**os.environ, "PEERKIT_CREATE_KEY": create_key}
    service, local_url = start_service(db, host, port, env)
    try:
        room = kept_room(
            local_url,
            home / "lab-room.json",
            authorization=f"Bearer {create_key}",
            title=title,
            new_room=new_room,
            slot="lab",
        )
        if room is None:
            raise RuntimeError("the poll service refused to create a room with its own key")
        service_port = local_url.rsplit(":", 1)[1]
        lan = lan_address() if host in ("0.0.0.0", "") else None  # noqa: S104
        public = public_url.rstrip("/") or (f"http://{lan}:{service_port}" if lan else local_url)
        join_url = f"{public}/join/{room['code']}"
        env.update(
            PEERKIT_SERVICE_URL=local_url,
            PEERKIT_PUBLIC_URL=public,
            PEERKIT_ROOM=room["code"],
            PEERKIT_FACILITATOR_KEY=room["key"],
        )
        print(f"\nRoom {room['code']} is ready. Participants join at:\n\n    {join_url}\n")
        segno.make(join_url, error="m").terminal(compact=True)
        print(
            f"\nResponses are kept in {shown}\n"
            f"Starting JupyterLab on {notebooks} ... (Ctrl-C stops both)\n"
        )
        command = [
            sys.executable,
            "-m",
            "jupyter",
            "lab",
            f"--notebook-dir={notebooks}",
            *jupyter_args,
        ]
        if hasattr(os, "geteuid") and os.geteuid() == 0 and "--allow-root" not in command:
            command.append("--allow-root")
        lab = subprocess.Popen(command, env=env, start_new_session=True)
        # Closing the terminal or `kill` stops both as Ctrl-C does (the children run in their
        # own sessions, so only this process hears the signal).
        for sig in (signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, _interrupt)
        try:
            return lab.wait()
        except KeyboardInterrupt:
            print("\nStopping JupyterLab and the poll service ...")
            return 0
        finally:
            _stop(lab, "JupyterLab")
    finally:
        _stop(service, "the poll service")
        print("Stopped. Every acknowledged response is in", shown)
