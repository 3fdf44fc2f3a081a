"""``peerkit lab``: the poll service plus JupyterLab on the workshop notebooks, started together.

The service runs as its own process (participants reach it, never a Jupyter kernel); JupyterLab
gets the service URL, the room and the facilitator key through its environment, which its
kernels inherit. Ctrl-C stops JupyterLab first and then the service, which finishes the
responses it is writing before it exits.

The terminal keeps one compact block on screen (room code, join link, presenter link, QR code):
both processes write their logs to files in the data folder. JupyterLab opens a working copy of
the notebooks in the data folder, so running a workshop never changes the shipped ones.
"""

from __future__ import annotations

import contextlib
import hashlib
import ipaddress
import json
import os
import re
import secrets
import shutil
import signal
import socket
import struct
import subprocess
import sys
import time
from pathlib import Path

from . import i18n
from .client import _http
from .config import data_home, environment
from .i18n import N_, _, format_number, language_name
from .resume import kept_room

SERVICE_LINE = re.compile(r"listening on (http://\S+)")
#: Where the working copy remembers which shipped version each of its files came from.
SHIPPED = ".shipped.json"
#: JupyterLab's news and update pop-ups, which would cover a projected notebook.
QUIET_LAB = {"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}}


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
    db: Path | None,
    host: str,
    port: int,
    env: dict[str, str],
    timeout: float = 30,
    log: Path | None = None,
    language: str | None = None,
) -> tuple[subprocess.Popen, str]:
    """Start ``peerkit serve`` in its own process group and wait until it listens.

    ``db=None``: the database in ``$PEERKIT_DATABASE_URL`` (kept off the command line, where
    other users could read a password in it)."""
    with open(log, "a") if log is not None else contextlib.nullcontext() as errors:
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
                *(["--language", language] if language else []),
            ],
            stdout=subprocess.PIPE,
            stderr=errors,
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


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _shipped_files(source: Path) -> list[Path]:
    """The files of the shipped notebook folder, without exports, checkpoints or hidden files."""
    return sorted(
        path
        for path in source.rglob("*")
        if path.is_file()
        and not any(
            part.startswith(".") or part in ("exports", "__pycache__")
            for part in path.relative_to(source).parts
        )
    )


def working_copy(source: Path, copy: Path) -> list[str]:
    """Keep ``copy`` a working copy of the notebooks in ``source``; return what was refreshed.

    A file is copied when the working copy lacks it, and copied again when the shipped file has
    changed since (new content after an upgrade or a ``git pull``). The facilitator's earlier
    copy of a refreshed file, with its outputs and edits, is kept in ``previous/``. The shipped
    files are only read.
    """
    copy.mkdir(parents=True, exist_ok=True)
    manifest_path = copy / SHIPPED
    try:
        manifest = json.loads(manifest_path.read_text())
    except (OSError, ValueError):
        manifest = {}
    refreshed = []
    for path in _shipped_files(source):
        name = path.relative_to(source).as_posix()
        digest = _digest(path)
        target = copy / name
        if target.exists() and manifest.get(name) == digest:
            continue
        if target.exists():
            if _digest(target) != digest:  # the facilitator's copy of an older version
                kept = copy / "previous" / name
                kept.parent.mkdir(parents=True, exist_ok=True)
                shutil.move(target, kept)
            refreshed.append(name)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
        manifest[name] = digest
    manifest_path.write_text(json.dumps(manifest, indent=1, sort_keys=True))
    return refreshed


def quiet_lab_config(home: Path) -> Path:
    """A Jupyter config folder that turns off JupyterLab's news and update pop-ups."""
    folder = home / "jupyter-config"
    labconfig = folder / "labconfig"
    labconfig.mkdir(parents=True, exist_ok=True)
    (labconfig / "page_config.json").write_text(json.dumps(QUIET_LAB, indent=1))
    return folder


#: Every label of the start-up block, to line their values up in the room's language.
LABELS = (
    N_("Room code"),
    N_("Join"),
    N_("Language"),
    N_("Presenter"),
    N_("Notebooks"),
    N_("Responses"),
    N_("Logs"),
    "JupyterLab",
)


def _field(label: str, value: object = "") -> str:
    """One line of the start-up block: a label in its column, then its value."""
    width = max(len(_(name)) for name in LABELS)
    return f"  {label:<{width}}  {value}".rstrip()


def room_block(room: dict, title: str, join_url: str, presenter_url: str | None) -> str:
    """The lines the terminal keeps on screen (the QR code is printed after them)."""
    lines = [
        "",
        f"  peerkit · {title}",
        _field(_("Room code"), room["code"]),
        _field(_("Join"), join_url),
        _field(_("Language"), language_name(room.get("language"))),
    ]
    if presenter_url:
        lines.append(_field(_("Presenter"), presenter_url))
        lines.append(_field("", _("(open it on the projector: the room's screen)")))
    return "\n".join(lines) + "\n"


def presenter_link(service_url: str, room: dict, public: str) -> str | None:
    """The room's presenter link as participants' devices reach the service; a room made
    before presenter links gets one."""
    code, auth = room["code"], f"Bearer {room['key']}"
    url = _http(service_url, "GET", f"/rooms/{code}", authorization=auth).get("presenter_url")
    if url is None:
        made = _http(service_url, "POST", f"/rooms/{code}/presenter", {}, authorization=auth)
        url = made["presenter_url"]
    if url and url.startswith(service_url + "/"):
        url = public + url[len(service_url) :]
    return url


LAB_ADDRESS = re.compile(r"(http://(?:localhost|127\.0\.0\.1)[^\s]*/lab\?token=\S+)")


def lab_address(lab: subprocess.Popen, log: Path, start: int, timeout: float = 60) -> str | None:
    """JupyterLab's address with its token, read from its log as it starts (None if it does
    not say within ``timeout`` seconds or stops)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and lab.poll() is None:
        with log.open() as text:
            text.seek(start)
            found = LAB_ADDRESS.search(text.read())
        if found:
            return found.group(1)
        time.sleep(0.2)
    return None


def _stop(proc: subprocess.Popen, name: str, grace: float = 15) -> None:
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        print(
            _("{name} did not stop in {seconds} s; killing it").format(
                name=name, seconds=format_number(grace, digits=0)
            ),
            file=sys.stderr,
        )
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
    language: str | None = None,
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
    service_log, lab_log = home / "service.log", home / "jupyterlab.log"
    service, local_url = start_service(db, host, port, env, log=service_log, language=language)
    try:
        room = kept_room(
            local_url,
            home / "lab-room.json",
            authorization=f"Bearer {create_key}",
            title=title,
            new_room=new_room,
            slot="lab",
            language=language,
        )
        if room is None:
            raise RuntimeError(_("the poll service refused to create a room with its own key"))
        i18n.use(room.get("language"))  # what follows is read in the room's language
        service_port = local_url.rsplit(":", 1)[1]
        lan = lan_address() if host in ("0.0.0.0", "") else None  # noqa: S104
        public = public_url.rstrip("/") or (f"http://{lan}:{service_port}" if lan else local_url)
        join_url = f"{public}/join/{room['code']}"
        copy = home / "workshops"
        refreshed = working_copy(notebooks, copy)
        env.update(
            PEERKIT_SERVICE_URL=local_url,
            PEERKIT_PUBLIC_URL=public,
            PEERKIT_ROOM=room["code"],
            PEERKIT_FACILITATOR_KEY=room["key"],
            JUPYTER_CONFIG_PATH=os.pathsep.join(
                p for p in (str(quiet_lab_config(home)), env.get("JUPYTER_CONFIG_PATH")) if p
            ),
        )
        print(room_block(room, title, join_url, presenter_link(local_url, room, public)))
        segno.make(join_url, error="m").terminal(compact=True)
        if refreshed:
            updated = _("Updated from the shipped notebooks: {names}")
            earlier = _("(your earlier copies are in {folder})")
            print("\n  " + updated.format(names=", ".join(refreshed)))
            print("  " + earlier.format(folder=copy / "previous"))
        working = _("{folder} (a working copy of {source})").format(folder=copy, source=notebooks)
        lines = [
            "",
            _field(_("Notebooks"), working),
            _field(_("Responses"), shown),
            _field(_("Logs"), lab_log),
            _field("", service_log),
            "  " + _("Ctrl-C stops JupyterLab and the poll service."),
            "",
        ]
        print("\n".join(lines), flush=True)
        command = [
            sys.executable,
            "-m",
            "jupyter",
            "lab",
            f"--notebook-dir={copy}",
            "--LabApp.news_url=None",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            *jupyter_args,
        ]
        if hasattr(os, "geteuid") and os.geteuid() == 0 and "--allow-root" not in command:
            command.append("--allow-root")
        with lab_log.open("a") as log:
            start = log.tell()
            lab = subprocess.Popen(
                command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        # Closing the terminal or `kill` stops both as Ctrl-C does (the children run in their
        # own sessions, so only this process hears the signal).
        for sig in (signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, _interrupt)
        try:
            address = lab_address(lab, lab_log, start)
            if address:
                print(_field("JupyterLab", address), flush=True)
            return lab.wait()
        except KeyboardInterrupt:
            print("\n" + _("Stopping JupyterLab and the poll service ..."))
            return 0
        finally:
            _stop(lab, "JupyterLab")
    finally:
        _stop(service, _("the poll service"))
        print(_("Stopped. Every acknowledged response is in {place}").format(place=shown))
