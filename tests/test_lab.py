"""`peerkit lab`: service and JupyterLab start together, and Ctrl-C stops both, losing nothing."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from serving import call_json

from peerkit.store import SQLiteStore


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_lab_starts_both_and_ctrl_c_stops_both(tmp_path: Path) -> None:
    home = tmp_path / "home"
    notebooks = tmp_path / "workshops"
    notebooks.mkdir()
    env = {
        **os.environ,
        "PEERKIT_HOME": str(home),
        "JUPYTER_CONFIG_DIR": str(tmp_path / "jconfig"),
        "JUPYTER_DATA_DIR": str(tmp_path / "jdata"),
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "jruntime"),
    }
    service_port, lab_port = free_port(), free_port()
    lab = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "peerkit",
            "lab",
            "--host",
            "127.0.0.1",
            "--port",
            str(service_port),
            "--notebooks",
            str(notebooks),
            "--",
            "--no-browser",
            f"--port={lab_port}",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    lines: list[str] = []
    try:
        join_url = None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and join_url is None:
            line = lab.stdout.readline()
            lines.append(line)
            match = re.search(r"(http://\S+/join/([A-Z0-9]{6}))", line)
            if match:
                join_url, code = match.group(1), match.group(2)
        assert join_url, "".join(lines)
        service = join_url.split("/join/")[0]
        saved = json.loads((home / "lab-room.json").read_text())["lab"]
        assert saved["code"] == code
        assert oct((home / "lab-room.json").stat().st_mode & 0o777) == "0o600"
        question = call_json(
            f"{service}/api/v1/rooms/{code}/questions",
            "POST",
            {"content_id": "housing-call"},
            saved["key"],
        )
        call_json(
            f"{service}/api/v1/questions/{question['id']}/open",
            "POST",
            {},
            saved["key"],
        )
        token = call_json(f"{service}/api/v1/rooms/{code}/join", "POST")["token"]
        response = f"{service}/api/v1/questions/{question['id']}/response"
        call_json(response, "PUT", {"answer": "c"}, token)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # JupyterLab answers on its port
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{lab_port}/api", timeout=2)
                break
            except OSError:
                time.sleep(0.5)
        else:
            raise AssertionError("JupyterLab did not start:\n" + "".join(lines))
        lab.send_signal(signal.SIGINT)
        rest, _ = lab.communicate(timeout=60)
    finally:
        if lab.poll() is None:
            lab.kill()
    assert lab.returncode == 0, rest
    assert "Stopped." in rest
    for port in (service_port, lab_port):
        with socket.socket() as sock:
            assert sock.connect_ex(("127.0.0.1", port)) != 0, f"port {port} still open"
    with SQLiteStore(home / "peerkit.db") as store:
        answers = store.answers_by_participant(question["id"])
    assert list(answers.values()) == ["c"]
