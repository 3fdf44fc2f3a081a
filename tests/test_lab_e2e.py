"""A workshop notebook end to end: JupyterLab, a real kernel, the vote widget and the store.

The test starts the poll service and JupyterLab as their own processes, opens
``02-rescuer.ipynb`` in Debian's Chromium (driven by Playwright, nothing downloaded), runs
every cell as a participant would, answers the first scenario with the vote widget and finds
that answer in the service's SQLite store. A screenshot is kept in ``test-artifacts/``.

Everything JupyterLab writes (settings, workspaces, runtime files, the participant's token and
the notebook itself) goes to the test's temporary folder: the notebooks are run from a copy.
"""

from __future__ import annotations

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
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from chromium import chromium
from playwright import sync_api
from serving import call_json

from peerkit.content import load_content
from peerkit.store import SQLiteStore

expect = sync_api.expect

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
SCREENSHOT = ARTIFACTS / "lab-e2e.png"
FAILURE_SCREENSHOT = ARTIFACTS / "lab-e2e-failure.png"
FAILURE_LOG = ARTIFACTS / "lab-e2e-jupyter.log"
NOTEBOOK = "02-rescuer.ipynb"
MODULE = "rescuer"
#: JupyterLab user settings for the test: attach every cell to the page (no windowing, so
#: nothing depends on scrolling), and neither fetch news nor ask about it.
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension:tracker": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False},
}
ERROR_OUTPUT = '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'
LISTENING = re.compile(r"peerkit service listening on (http://\S+)")
LAB_START = 60  # s: JupyterLab answering its REST API
KERNEL_START = 60_000  # ms: the notebook's kernel started and idle
WIDGET_RENDER = 30_000  # ms: the vote widget drawn after Run All
SAVE = 30_000  # ms: "Saved: ..." after Submit (queued behind the remaining cells)
RUN_ALL = 60_000  # ms: every cell of the notebook run
STOP_GRACE = 10  # s: SIGTERM before SIGKILL

pytestmark = pytest.mark.timeout(180)


# --------------------------------------------------------------------------- processes


def _stop(proc: subprocess.Popen) -> None:
    """SIGTERM the process group the process leads, then SIGKILL it after a grace period."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            proc.wait(STOP_GRACE)
        except subprocess.TimeoutExpired:
            pass
    try:  # kernels and other children may outlive their parent: clear the whole group
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait(5)


def _clean_env(**extra: str) -> dict[str, str]:
    """This environment without any peerkit or Jupyter settings of the person running the
    tests, plus ``extra``."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("PEERKIT_", "JUPYTER", "JPY_"))
    }
    env.update(extra)
    return env


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Service:
    url: str
    db: Path

    def api(self, path: str, body: object = None, key: str | None = None) -> dict:
        return call_json(self.url + "/api/v1" + path, "GET" if body is None else "POST", body, key)


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

    def api(self, path: str) -> object:
        return call_json(f"{self.url}{path}?token={self.token}")


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Service]:
    with running_service(tmp_path) as running:
        yield running


@contextmanager
def running_service(tmp_path: Path) -> Iterator[Service]:
    """``peerkit serve`` in its own process group on a free loopback port."""
    db = tmp_path / "service" / "peerkit.db"
    db.parent.mkdir()
    log = (tmp_path / "service" / "service.log").open("w")
    proc = subprocess.Popen(
        [
            *(sys.executable, "-m", "peerkit", "serve"),
            *("--host", "127.0.0.1", "--port", "0", "--db", str(db)),
        ],
        cwd=ROOT,
        env=_clean_env(),
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
                pytest.fail("the service did not announce its address within 20 s")
            if match := LISTENING.search(line):
                url = match.group(1)
        yield Service(url, db)
    finally:
        _stop(proc)
        log.close()


@pytest.fixture
def room(service: Service) -> Room:
    created = service.api("/rooms", {"title": "JupyterLab end-to-end test"})
    return Room(created["code"], created["facilitator_key"])


@pytest.fixture
def lab(tmp_path: Path, service: Service, room: Room) -> Iterator[Lab]:
    """JupyterLab on a copy of ``workshops/``, its kernels a participant in ``room``."""
    with running_lab(tmp_path, PEERKIT_SERVICE_URL=service.url, PEERKIT_ROOM=room.code) as lab:
        yield lab  # no facilitator key: the kernel is a participant


@contextmanager
def running_lab(tmp_path: Path, **peerkit_env: str) -> Iterator[Lab]:
    """JupyterLab on a copy of ``workshops/`` with ``peerkit_env`` for its kernels; everything
    it writes stays in ``tmp_path``."""
    notebooks = tmp_path / "workshops"
    shutil.copytree(ROOT / "workshops", notebooks, ignore=shutil.ignore_patterns("exports"))
    jupyter = tmp_path / "jupyter"
    settings = jupyter / "lab-user-settings"
    for plugin, values in LAB_SETTINGS.items():
        package, name = plugin.rsplit(":", 1)
        path = settings / package / f"{name}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    env = _clean_env(
        **peerkit_env,
        PEERKIT_HOME=str(tmp_path / "peerkit-home"),
        JUPYTER_CONFIG_DIR=str(jupyter / "config"),
        JUPYTER_DATA_DIR=str(jupyter / "data"),
        JUPYTER_RUNTIME_DIR=str(jupyter / "runtime"),
        JUPYTER_PLATFORM_DIRS="1",
        IPYTHONDIR=str(jupyter / "ipython"),
        MPLBACKEND="Agg",
    )
    port = _free_port()
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
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    running = Lab(url, token, proc, log_path, jupyter / "runtime")
    try:
        deadline = time.monotonic() + LAB_START
        while True:
            if proc.poll() is not None:
                pytest.fail(f"JupyterLab exited with {proc.returncode}:\n{log_path.read_text()}")
            try:
                running.api("/api/status")
                break
            except (OSError, AssertionError):
                if time.monotonic() > deadline:
                    pytest.fail(f"JupyterLab did not answer in {LAB_START} s")
                time.sleep(0.25)
        yield running
    finally:
        _stop(proc)
        log.close()


# --------------------------------------------------------------------------- the browser


@pytest.fixture
def page() -> Iterator[sync_api.Page]:
    with chromium() as browser:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        context.set_default_timeout(10_000)
        page = context.new_page()
        yield page
        context.close()
        browser.close()


def _kernel_pythons(runtime: Path) -> list[str]:
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


# --------------------------------------------------------------------------- the test


def test_vote_in_workshop_notebook(
    page: sync_api.Page, lab: Lab, service: Service, room: Room, tmp_path: Path
) -> None:
    scenario = load_content().scenarios_for(MODULE)[0]
    question = scenario.question
    # Not the first option, so that a default choice cannot pass for the click; and one long
    # enough to wrap, so the rows must grow with their text for its button to be clickable.
    option = question.options[2]
    # The facilitator puts the notebook's first scenario on screen before people vote.
    qid = service.api(f"/rooms/{room.code}/questions", {"content_id": scenario.id}, room.key)["id"]
    service.api(f"/questions/{qid}/open", {}, room.key)

    cells = json.loads((ROOT / "workshops" / NOTEBOOK).read_text())["cells"]
    code_cells = sum(cell["cell_type"] == "code" for cell in cells)
    for stale in (SCREENSHOT, FAILURE_SCREENSHOT, FAILURE_LOG):
        stale.unlink(missing_ok=True)
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        page.goto(f"{lab.url}/lab/tree/{NOTEBOOK}?token={lab.token}")
        expect(page.locator(".jp-Notebook .jp-Cell").first).to_be_visible(timeout=KERNEL_START)
        expect(page.locator("#jp-main-statusbar")).to_contain_text(
            re.compile(r"Python 3 \(ipykernel\) \| Idle"), timeout=KERNEL_START
        )
        # One kernel, on this environment's Python (so it imports this checkout's peerkit).
        pythons = _kernel_pythons(lab.runtime)
        assert [Path(p).parent for p in pythons] == [Path(sys.executable).parent], pythons

        # Run → Run All Cells, from the menu bar.
        page.get_by_role("menuitem", name="Run", exact=True).click()
        page.get_by_role("menuitem", name=re.compile(r"^Run All Cells")).click()

        vote = (
            page.locator(".jp-OutputArea-output")
            .filter(has_text=question.title)
            .filter(has=page.locator(".pk-choice"))
        )
        expect(vote.get_by_text("Your answer")).to_be_visible(timeout=WIDGET_RENDER)
        choice = vote.get_by_role("radio", name=option.text, exact=True)
        expect(choice).to_be_visible(timeout=WIDGET_RENDER)
        choice.check()
        expect(choice).to_be_checked()
        vote.get_by_role("button", name="Submit answer").click()
        expect(vote.get_by_role("status").filter(has_text="Saved:")).to_contain_text(
            f"Saved: {option.text}", timeout=SAVE
        )
        page.screenshot(path=str(SCREENSHOT))

        # Every code cell ran (the later ones may finish after the vote) and none failed.
        prompts = page.locator(".jp-Notebook .jp-CodeCell .jp-InputArea-prompt")
        expect(prompts).to_have_text([re.compile(r"^\[\d+\]:$")] * code_cells, timeout=RUN_ALL)
        expect(page.locator("#jp-main-statusbar")).to_contain_text("| Idle")
        expect(page.locator(ERROR_OUTPUT)).to_have_count(0)  # tracebacks and stderr alike
    except BaseException:
        page.screenshot(path=str(FAILURE_SCREENSHOT))
        shutil.copyfile(lab.log, FAILURE_LOG)
        raise

    # The answer is in the store: one response, the option clicked, from one participant.
    store = SQLiteStore(service.db)
    try:
        responses = store.responses(qid)
        assert [r.answer for r in responses] == [option.id]
        assert store.participant_count(room.code) == 1
    finally:
        store.close()
    # The kernel kept its participant token in the test's PEERKIT_HOME, not the real one.
    assert room.code in (tmp_path / "peerkit-home" / "tokens.json").read_text()
