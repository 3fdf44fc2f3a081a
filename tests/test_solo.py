"""Self-paced mode: one person alone, answers kept in solo.db in the data folder.

The notebooks run headless as Binder serves them (the participant copies), in solo mode, each
run in a new kernel with the same data folder, as a person re-running notebooks over a day would.
"""

from __future__ import annotations

import dataclasses
import html
import json
import re
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from peerkit import i18n
from peerkit.cli import main
from peerkit.content import load_content
from peerkit.notebooks import participant_copy
from peerkit.rehearsal import RehearsalSession
from peerkit.sessions import connect
from peerkit.solo import solo_files, solo_session
from peerkit.workshop import Workshop

ROOT = Path(__file__).resolve().parent.parent
WORKSHOPS = ROOT / "workshops"
SCALE = load_content().pre_post_scale.id


def _code(path: Path) -> str:
    return "\n".join(c.source for c in nbformat.read(path, as_version=4).cells)


NOTEBOOKS = {path.name: _code(path) for path in sorted(WORKSHOPS.glob("*.ipynb"))}
#: The opening notebook asks the starting point; the closing one draws the before-and-after.
SETUP = next(name for name, code in NOTEBOOKS.items() if f'ws.slider("{SCALE}", tag="pre")' in code)
WRAP_UP = next(name for name, code in NOTEBOOKS.items() if "ws.pre_post()" in code)
#: Words a message for one person working alone must not use.
NOT_ALONE = re.compile(r"\b(facilitators?|room)\b", re.IGNORECASE)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh data folder and no rehearsal or service: solo mode, in kernels started from here."""
    folder = tmp_path / "home"
    monkeypatch.setenv("PEERKIT_HOME", str(folder))
    for name in ("PEERKIT_REHEARSE", "PEERKIT_SEED", "PEERKIT_SERVICE_URL", "PEERKIT_ROOM"):
        monkeypatch.delenv(name, raising=False)
    return folder


def run_self_paced(name: str, after: dict[str, str], cwd: Path) -> nbformat.NotebookNode:
    """Run the self-paced copy of workshops/``name`` in a new kernel. ``after`` maps the source
    of a code cell to code run right after it (``_`` is that cell's widget)."""
    nb = participant_copy(nbformat.read(WORKSHOPS / name, as_version=4))
    cells = []
    for cell in nb.cells:
        cells.append(cell)
        if cell.cell_type == "code" and cell.source.strip() in after:
            cells.append(nbformat.v4.new_code_cell(after[cell.source.strip()]))
    nb.cells = cells
    NotebookClient(
        nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(cwd)}}
    ).execute()
    return nb


def printed(nb: nbformat.NotebookNode) -> str:
    return "".join(
        out.get("text", "")
        for cell in nb.cells
        if cell.cell_type == "code"
        for out in cell.outputs
        if out.output_type == "stream"
    )


def answer_slider(tag: str, value: int) -> dict[str, str]:
    """Code that reports the slider's kept answer, then moves it to ``value`` and submits."""
    return {
        f'ws.slider("{SCALE}", tag="{tag}")': (
            "slider = _.children[0]\n"
            "print('kept:', slider.submitted)\n"
            f"slider.slider.value = {value}\n"
            "slider.submit.click()\n"
            "print('status:', slider.status.value)"
        )
    }


def test_setup_then_wrap_up_in_separate_kernels_draws_my_own_before_and_after(
    home: Path, tmp_path: Path
) -> None:
    # First kernel: the opening session, starting point 3.
    first = printed(run_self_paced(SETUP, answer_slider("pre", 3), tmp_path))
    assert "kept: None" in first
    assert "Saved: 3 (" in first and "3.0" not in first
    # A restart: the answer is still there, and changing it keeps one answer, now 2.
    second = printed(run_self_paced(SETUP, answer_slider("pre", 2), tmp_path))
    assert "kept: 3" in second
    # Another kernel: the closing session, then the before-and-after chart.
    check = (
        "chart = _\n"
        "print('chart bytes:', len(chart.image.value))\n"
        "print('before:', chart.before, 'after:', chart.after)\n"
        "print('caption:', chart.text)"
    )
    wrap = run_self_paced(WRAP_UP, {**answer_slider("post", 7), "ws.pre_post()": check}, tmp_path)
    out = printed(wrap)
    assert "kept: None" in out
    assert "before: 2.0 after: 7.0" in out
    assert int(re.search(r"chart bytes: (\d+)", out).group(1)) > 10_000
    caption = re.search(r"caption: (.*)", out).group(1)
    assert caption.startswith("You started at 2 (") and "place yourself at 7 (" in caption
    assert "5 points towards" in caption
    assert not NOT_ALONE.search(caption)
    # Both sessions wrote to one database in the data folder, for one anonymous person.
    database, room_file = solo_files(home)
    assert database.is_file()
    assert json.loads(room_file.read_text()).keys() == {"room", "token"}
    assert room_file.stat().st_mode & 0o077 == 0


def widget_texts(widget: object) -> list[str]:
    """Every text a widget tree shows: HTML values, labels, descriptions, tooltips."""
    texts = []
    for name in ("value", "description", "tooltip", "placeholder"):
        value = getattr(widget, name, None)
        if isinstance(value, str):
            texts.append(value)
    options = getattr(widget, "options", None)
    if isinstance(options, tuple):
        texts += [str(o[0] if isinstance(o, tuple) else o) for o in options]
    for child in getattr(widget, "children", ()):
        texts += widget_texts(child)
    return texts


def test_no_solo_message_speaks_of_a_facilitator_or_a_room(home: Path) -> None:
    """Everything peerkit itself writes in self-paced mode, in every notebook, answered and
    not; the workshop content from data/ (intros, scenarios, prompts) is left out."""
    content = load_content()
    session = solo_session(content=content)
    messages: list[str] = []
    for module in content.modules.values():
        ws = Workshop(module.id, session)
        shown = [ws.mode_note(), ws.console(), ws.export()]
        for index in range(len(ws.scenarios)):
            vote = ws.scenario(index)
            picker = vote.children[0]
            picker.options.value = picker.question.options[0].id
            picker.submit.click()
            shown.append(vote)
        for i, _prompt in enumerate(content.prompts_for(module.id)):
            box = ws.reflection(i)
            box.text.value = "Ask first."
            box.submit.click()
            shown.append(box)
        if content.scales_for(module.id):
            slider = ws.slider()
            slider.children[0].slider.value = 4
            slider.children[0].submit.click()
            shown.append(slider)
        shown.append(ws.pre_post())
        for widget in shown:
            messages += widget_texts(widget)
    ours = [m for m in messages if not _is_content(m, content)]
    assert any("Self-paced" in m for m in ours)
    assert any("Saved: 4 (" in m for m in ours)
    offending = [m for m in ours if NOT_ALONE.search(m)]
    assert offending == []


def _is_content(text: str, content) -> bool:
    """Whether ``text`` is (or wraps) educator-written content rather than a peerkit message."""
    pieces = []
    for question in (
        *content.scenarios.values(),
        *content.scales.values(),
        *content.prompts.values(),
    ):
        q = question.question
        pieces += [q.title or "", q.prompt or "", getattr(q, "vignette", "") or ""]
        pieces += [o.text for o in getattr(q, "options", ())]
        pieces += [getattr(q, "note", "") or ""]
    text = html.unescape(text)
    return any(p and p[:40] in text for p in pieces if len(p) > 15)


def test_purge_solo_deletes_the_answers(
    home: Path, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    session = solo_session()
    session.respond(session.question(SCALE, "pre").id, 5)
    session.close()
    database, room_file = solo_files(home)
    assert database.is_file() and room_file.is_file()
    assert main(["purge", "--solo", "--yes"]) == 0
    assert "Deleted your self-paced answers" in capsys.readouterr().out
    assert not database.exists() and not room_file.exists()
    assert not list(home.glob("solo.db*"))
    fresh = solo_session()
    assert fresh.my_answer(fresh.question(SCALE, "pre").id) is None
    fresh.close()
    monkeypatch.setattr("builtins.input", lambda _prompt: "n")
    assert main(["purge", "--solo"]) == 1  # asks first; "n" deletes nothing
    assert database.is_file()


def test_a_second_session_resumes_the_same_room_and_person(home: Path) -> None:
    first = solo_session()
    info = first.question(SCALE, "pre")
    first.respond(info.id, 6)
    first.close()
    again = solo_session()
    assert again.room == first.room
    assert again.my_answer(again.question(SCALE, "pre").id) == 6
    again.close()
    # A replaced database: a new room, nothing lost that can still be read, no error.
    database, _room_file = solo_files(home)
    database.unlink()
    fresh = solo_session()
    assert fresh.room != first.room and fresh.my_answer(fresh.question(SCALE, "pre").id) is None
    fresh.close()


def test_notebooks_started_at_once_share_one_person(home: Path) -> None:
    """Several kernels opening self-paced mode for the first time at the same moment."""
    import subprocess
    import sys

    code = "from peerkit.solo import solo_session; s = solo_session(); print(s.room, s._me.id)"
    procs = [
        subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
        for _ in range(4)
    ]
    seen = {proc.communicate(timeout=60)[0].strip() for proc in procs}
    assert len(seen) == 1, seen


@pytest.fixture
def english_after() -> Iterator[None]:
    """Whatever language a test shows peerkit in, the next test starts in English."""
    yield
    i18n.use("en")


def test_a_self_paced_session_is_in_the_contents_language(
    home: Path, monkeypatch: pytest.MonkeyPatch, english_after: None
) -> None:
    monkeypatch.delenv("PEERKIT_LANGUAGE", raising=False)
    english = load_content()
    session = solo_session(content=english)
    assert (session.language, i18n.active()) == ("en", "en")
    assert session.store.room(session.room).language == "en"
    session.close()
    spanish = dataclasses.replace(english, language="es")
    session = solo_session(content=spanish)  # the same room, resumed, shown in Spanish
    assert (session.language, i18n.active()) == ("es", "es")
    session.close()


def test_peerkit_language_chooses_the_language_of_solo_and_rehearsal(
    home: Path, monkeypatch: pytest.MonkeyPatch, english_after: None
) -> None:
    monkeypatch.setenv("PEERKIT_LANGUAGE", "es-ES")
    content = load_content()
    session = solo_session(content=content)
    assert (session.language, i18n.active()) == ("es", "es")
    assert session.store.room(session.room).language == "es"
    session.close()
    i18n.use("en")
    monkeypatch.setenv("PEERKIT_REHEARSE", "4")
    rehearsal = connect(content=content)
    assert isinstance(rehearsal, RehearsalSession)
    assert (rehearsal.language, i18n.active()) == ("es", "es")
    assert rehearsal.store.room(rehearsal.room).language == "es"
    rehearsal.close()
    monkeypatch.setenv("PEERKIT_LANGUAGE", "xx")
    with pytest.raises(i18n.UnknownLanguageError, match="en, es"):
        solo_session(content=content)
