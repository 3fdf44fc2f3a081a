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

import pytest
from serving import call_json, serving

from peerkit import i18n
from peerkit.cli import build_parser
from peerkit.lab import room_block, working_copy
from peerkit.resume import kept_room
from peerkit.store import SQLiteStore

NOTEBOOK = {
    "cells": [
        {
            "cell_type": "code",
            "source": "1 + 1",
            "metadata": {},
            "outputs": [],
            "execution_count": None,
        }
    ],
    "metadata": {},
    "nbformat": 4,
    "nbformat_minor": 5,
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_the_working_copy_follows_the_shipped_notebooks(tmp_path: Path) -> None:
    shipped, copy = tmp_path / "workshops", tmp_path / "home" / "workshops"
    (shipped / "exports").mkdir(parents=True)
    (shipped / "01-a.ipynb").write_text('{"cells": ["one"]}')
    (shipped / "02-b.ipynb").write_text('{"cells": ["two"]}')
    (shipped / "exports" / "old.csv").write_text("not copied")
    (shipped / ".ipynb_checkpoints").mkdir()
    (shipped / ".ipynb_checkpoints" / "01-a-checkpoint.ipynb").write_text("{}")
    before = {p: p.read_bytes() for p in shipped.rglob("*") if p.is_file()}

    assert working_copy(shipped, copy) == []  # a first copy refreshes nothing
    assert sorted(p.name for p in copy.glob("*.ipynb")) == ["01-a.ipynb", "02-b.ipynb"]
    assert not (copy / "exports").exists() and not (copy / ".ipynb_checkpoints").exists()

    (copy / "01-a.ipynb").write_text('{"cells": ["one"], "outputs": "the workshop ran"}')
    assert working_copy(shipped, copy) == []  # the facilitator's outputs stay
    assert "the workshop ran" in (copy / "01-a.ipynb").read_text()

    (shipped / "01-a.ipynb").write_text('{"cells": ["one, revised"]}')  # a git pull
    (shipped / "03-c.ipynb").write_text('{"cells": ["three"]}')
    assert working_copy(shipped, copy) == ["01-a.ipynb"]
    assert (copy / "01-a.ipynb").read_text() == '{"cells": ["one, revised"]}'
    assert "the workshop ran" in (copy / "previous" / "01-a.ipynb").read_text()
    assert (copy / "03-c.ipynb").exists()
    assert working_copy(shipped, copy) == []
    before.update({shipped / n: (shipped / n).read_bytes() for n in ("01-a.ipynb", "03-c.ipynb")})
    assert {p: p.read_bytes() for p in shipped.rglob("*") if p.is_file()} == before


def test_the_lab_room_is_kept_in_its_language(tmp_path: Path) -> None:
    """``peerkit lab --language``: a new room is in that language, a kept room in it is resumed
    and one in another is replaced; without it, the kept room stays whatever its language."""
    kept = tmp_path / "lab-room.json"

    def room(**options: object) -> dict:
        made = kept_room(url, kept, authorization="", title="Lab", slot="lab", **options)
        assert made is not None
        return made

    with serving(SQLiteStore(tmp_path / "peerkit.db"), language="es") as url:
        first = room()  # the service's language
        assert first["language"] == "es"
        assert room(language="es-ES")["code"] == first["code"]
        assert call_json(f"{url}/api/v1/rooms/{first['code']}")["language"] == "es"
        english = room(language="en")
        assert english["code"] != first["code"] and english["language"] == "en"
        assert room()["code"] == english["code"]
        assert json.loads(kept.read_text())["lab"]["language"] == "en"
        assert "Language    English" in room_block(english, "Lab", "join", None)
        assert "Language    Español" in room_block(first, "Lab", "join", None)


def test_lab_and_serve_take_a_language_peerkit_can_show(
    capsys: pytest.CaptureFixture[str],
) -> None:
    parser = build_parser()
    assert parser.parse_args(["lab", "--language", "es-ES"]).language == "es"
    assert parser.parse_args(["serve"]).language is None  # the content's language
    with pytest.raises(SystemExit) as exit_status:
        parser.parse_args(["serve", "--language", "fr"])
    assert exit_status.value.code == 2
    assert "--language" in capsys.readouterr().err


def test_lab_starts_both_and_ctrl_c_stops_both(tmp_path: Path) -> None:
    home = tmp_path / "home"
    notebooks = tmp_path / "workshops"
    notebooks.mkdir()
    shipped = notebooks / "01-test.ipynb"
    shipped.write_text(json.dumps(NOTEBOOK))
    lab_token = "lab-test-token"
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
            "--language",
            "es",
            "--",
            "--no-browser",
            f"--port={lab_port}",
            f"--IdentityProvider.token={lab_token}",
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
        # The block is in the room's language: Spanish labels, lined up.
        es = i18n.translator("es")
        block = [lab.stdout.readline()]
        last = es.gettext("Ctrl-C stops JupyterLab and the poll service.")
        while block[-1] and last not in block[-1]:
            block.append(lab.stdout.readline())
        printed = "".join(lines + block)
        assert last in printed, printed

        def field(label: str, value: str) -> str:
            return rf"  {re.escape(es.gettext(label))} +{value}"

        presenter = re.search(field("Presenter", rf"({service}/present/{code}#token=\S+)"), printed)
        assert presenter, printed
        screen = call_json(
            f"{service}/api/v1/rooms/{code}/screen", secret=presenter.group(1).split("#token=")[1]
        )
        assert (screen["room"], screen["language"]) == (code, "es")
        assert re.search(field("Language", "Español"), printed), printed
        copy = home / "workshops"
        assert re.search(field("Notebooks", re.escape(str(copy))), printed), printed
        assert re.search(field("Logs", re.escape(str(home / "jupyterlab.log"))), printed), printed
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
        lab_api = f"http://127.0.0.1:{lab_port}"
        address = lab.stdout.readline() + lab.stdout.readline()  # after a blank line
        # (JupyterLab writes a token given on its command line as "...")
        assert re.search(rf"JupyterLab +http://\S+:{lab_port}/lab\?token=\.\.\.", address)
        # JupyterLab runs on the working copy, without its news and update pop-ups
        listing = call_json(f"{lab_api}/api/contents?token={lab_token}")
        assert [item["name"] for item in listing["content"]] == ["01-test.ipynb"]
        with urllib.request.urlopen(f"{lab_api}/lab?token={lab_token}", timeout=10) as reply:
            page = reply.read().decode()
        config = json.loads(
            re.search(r'id="jupyter-config-data"[^>]*>(.*?)</script>', page, re.S)[1]
        )
        assert "@jupyterlab/apputils-extension:announcements" in config["disabledExtensions"]
        assert config.get("newsUrl") in (None, "")
        # saving the notebook (autosave, with outputs) writes the working copy only
        ran = {"output_type": "execute_result", "data": {"text/plain": "2"}, "metadata": {}}
        cell = {
            **NOTEBOOK["cells"][0],
            "execution_count": 1,
            "outputs": [ran | {"execution_count": 1}],
        }
        saved = NOTEBOOK | {"cells": [cell]}
        body = {"type": "notebook", "format": "json", "content": saved}
        call_json(f"{lab_api}/api/contents/01-test.ipynb?token={lab_token}", "PUT", body)
        assert "execute_result" in (copy / "01-test.ipynb").read_text()
        assert json.loads(shipped.read_text()) == NOTEBOOK
        lab.send_signal(signal.SIGINT)
        rest, _ = lab.communicate(timeout=60)
    finally:
        if lab.poll() is None:  # a failed step: Ctrl-C still stops the service and JupyterLab
            lab.send_signal(signal.SIGINT)
            try:
                lab.wait(timeout=30)
            except subprocess.TimeoutExpired:
                lab.kill()
    assert lab.returncode == 0, rest
    stopped = i18n.translator("es").gettext("Stopped. Every acknowledged response is in {place}")
    assert stopped.format(place=home / "peerkit.db") in rest  # in the room's language
    assert "ServerApp" not in printed + rest  # JupyterLab's log went to its file...
    assert "ServerApp" in (home / "jupyterlab.log").read_text()
    for port in (service_port, lab_port):
        with socket.socket() as sock:
            assert sock.connect_ex(("127.0.0.1", port)) != 0, f"port {port} still open"
    with SQLiteStore(home / "peerkit.db") as store:
        answers = store.answers_by_participant(question["id"])
    assert list(answers.values()) == ["c"]
