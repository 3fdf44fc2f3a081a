"""Start the poll service and JupyterLab as their own processes, and drive a workshop notebook
in Chromium: shared by the JupyterLab end-to-end tests and ``benchmarks/bench_widgets.py``.

Everything JupyterLab writes (settings, workspaces, runtime files, participant tokens and the
notebooks themselves) goes to a temporary folder: notebooks are run from a copy.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from playwright import sync_api
from serving import call_json

expect = sync_api.expect

ROOT = Path(__file__).resolve().parent.parent
#: JupyterLab user settings: attach every cell to the page (no windowing, so nothing depends on
#: scrolling), and neither fetch news nor ask about it.
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension:tracker": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False},
}
LISTENING = re.compile(r"peerkit service listening on (http://\S+)")
LAB_START = 60  # s: JupyterLab answering its REST API
KERNEL_START = 60_000  # ms: the notebook's kernel started and idle
STOP_GRACE = 10  # s: SIGTERM before SIGKILL
IDLE = re.compile(r"Python 3 \(ipykernel\) \| Idle")


class StartError(RuntimeError):
    """A process did not start; the message says which and why."""


def stop(proc: subprocess.Popen) -> None:
    """SIGTERM the process group the process leads, then SIGKILL it after a grace period."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(STOP_GRACE)
    # kernels and other children may outlive their parent: clear the whole group
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(5)


def clean_env(**extra: str) -> dict[str, str]:
    """This environment without any peerkit or Jupyter settings of the person running it, plus
    ``extra``."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("PEERKIT_", "JUPYTER", "JPY_"))
    }
    env.update(extra)
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Service:
    url: str
    db: Path

    def api(self, path: str, body: object = None, key: str | None = None) -> dict:
        return call_json(self.url + "/api/v1" + path, "GET" if body is None else "POST", body, key)

    def room(self, title: str) -> Room:
        created = self.api("/rooms", {"title": title})
        return Room(created["code"], created["facilitator_key"])


@dataclass
class Room:
    code: str
    key: str


@dataclass
class Lab:
    url: str
    token: str
    proc: subprocess.Popen
    log: Path
    runtime: Path
    notebooks: Path

    def api(self, path: str) -> object:
        return call_json(f"{self.url}{path}?token={self.token}")


@contextlib.contextmanager
def running_service(folder: Path, *args: str) -> Iterator[Service]:
    """``peerkit serve`` (with ``args``) in its own process group on a free loopback port."""
    db = folder / "service" / "peerkit.db"
    db.parent.mkdir(parents=True, exist_ok=True)
    log = (folder / "service" / "service.log").open("w")
    proc = subprocess.Popen(
        [
            *(sys.executable, "-m", "peerkit", "serve"),
            *("--host", "127.0.0.1", "--port", "0", "--db", str(db)),
            *args,
        ],
        cwd=ROOT,
        env=clean_env(),
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
        start_new_session=True,
    )
    lines: queue.Queue[str] = queue.Queue()

    def drain() -> None:  # keep reading so the pipe never fills
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line)

    threading.Thread(target=drain, daemon=True).start()
    try:
        url = None
        deadline = time.monotonic() + 20
        while url is None:
            try:
                line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                raise StartError("the service did not announce its address within 20 s") from None
            if match := LISTENING.search(line):
                url = match.group(1)
        yield Service(url, db)
    finally:
        stop(proc)
        log.close()


@contextlib.contextmanager
def running_lab(folder: Path, **env: str) -> Iterator[Lab]:
    """JupyterLab on a copy of ``workshops/``; ``env`` is what its kernels see (for example
    ``PEERKIT_SERVICE_URL`` and ``PEERKIT_ROOM``)."""
    notebooks = folder / "workshops"
    shutil.copytree(ROOT / "workshops", notebooks, ignore=shutil.ignore_patterns("exports"))
    jupyter = folder / "jupyter"
    settings = jupyter / "lab-user-settings"
    for plugin, values in LAB_SETTINGS.items():
        package, name = plugin.rsplit(":", 1)
        path = settings / package / f"{name}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    environment = clean_env(
        PEERKIT_HOME=str(folder / "peerkit-home"),
        JUPYTER_CONFIG_DIR=str(jupyter / "config"),
        JUPYTER_DATA_DIR=str(jupyter / "data"),
        JUPYTER_RUNTIME_DIR=str(jupyter / "runtime"),
        JUPYTER_PLATFORM_DIRS="1",
        IPYTHONDIR=str(jupyter / "ipython"),
        MPLBACKEND="Agg",
        **env,
    )
    port = free_port()
    token = secrets.token_hex(24)
    log_path = jupyter / "jupyterlab.log"
    log = log_path.open("w")
    proc = subprocess.Popen(
        [
            *(sys.executable, "-m", "jupyter", "lab", "--no-browser", "--allow-root"),
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={port}",
            "--ServerApp.port_retries=0",
            f"--ServerApp.token={token}",
            f"--ServerApp.root_dir={notebooks}",
            "--ServerApp.open_browser=False",
            f"--LabApp.user_settings_dir={settings}",
            f"--LabApp.workspaces_dir={jupyter / 'workspaces'}",
        ],
        cwd=notebooks,
        env=environment,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    running = Lab(f"http://127.0.0.1:{port}", token, proc, log_path, jupyter / "runtime", notebooks)
    try:
        deadline = time.monotonic() + LAB_START
        while True:
            if proc.poll() is not None:
                raise StartError(
                    f"JupyterLab exited with {proc.returncode}:\n{log_path.read_text()}"
                )
            try:
                running.api("/api/status")
                break
            except (OSError, AssertionError):
                if time.monotonic() > deadline:
                    raise StartError(f"JupyterLab did not answer in {LAB_START} s") from None
                time.sleep(0.25)
        yield running
    finally:
        stop(proc)
        log.close()


def notebook_variant(lab: Lab, source: str, name: str, first_cell: str) -> str:
    """A copy of notebook ``source`` in the lab's folder with ``first_cell`` run before the
    rest (for example to choose solo or rehearsal mode); returns its name."""
    nb = json.loads((lab.notebooks / source).read_text())
    cell = {
        "cell_type": "code",
        "execution_count": None,
        "metadata": {},
        "outputs": [],
        "source": first_cell,
    }
    nb["cells"].insert(0, cell)
    (lab.notebooks / name).write_text(json.dumps(nb))
    return name


def open_and_run(page: sync_api.Page, lab: Lab, notebook: str) -> None:
    """Open ``notebook`` in JupyterLab, wait for its kernel, and Run All Cells from the menu."""
    # A workspace of its own, so JupyterLab does not reopen notebooks of another page.
    workspace = Path(notebook).stem
    page.goto(f"{lab.url}/lab/workspaces/{workspace}/tree/{notebook}?token={lab.token}")
    expect(page.locator(".jp-Notebook .jp-Cell").first).to_be_visible(timeout=KERNEL_START)
    expect(page.locator("#jp-main-statusbar")).to_contain_text(IDLE, timeout=KERNEL_START)
    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.get_by_role("menuitem", name=re.compile(r"^Run All Cells")).click()


def wait_all_ran(page: sync_api.Page, code_cells: int, timeout: int = 60_000) -> None:
    """Every code cell has an execution count and the kernel is idle."""
    prompts = page.locator(".jp-Notebook .jp-CodeCell .jp-InputArea-prompt")
    expect(prompts).to_have_text([re.compile(r"^\[\d+\]:$")] * code_cells, timeout=timeout)
    expect(page.locator("#jp-main-statusbar")).to_contain_text("| Idle", timeout=timeout)


def code_cells(lab: Lab, notebook: str) -> int:
    cells = json.loads((lab.notebooks / notebook).read_text())["cells"]
    return sum(cell["cell_type"] == "code" for cell in cells)


def kernel_pythons(runtime: Path) -> list[str]:
    """The interpreter of every kernel whose connection file is in ``runtime`` (read from
    /proc: Linux, like Debian's Chromium)."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            argv = [arg.decode() for arg in cmdline.read_bytes().split(b"\0")]
        except OSError:
            continue
        if "ipykernel_launcher" in argv and any(a.startswith(str(runtime)) for a in argv):
            found.append(argv[0])
    return found
