"""The workshop notebooks: structure, content from data/, participant copies, adapting guide."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import nbformat
import pytest

from peerkit.content import load_content
from peerkit.notebooks import FACILITATOR_TAG, participant_copy, write_participant_copies

ROOT = Path(__file__).resolve().parent.parent
WORKSHOPS = ROOT / "workshops"
NOTEBOOKS = sorted(WORKSHOPS.glob("*.ipynb"))
#: Notebook name -> module id, for every module whose notebook shows scenario votes.
PRINCIPLES = {
    f"{position:02d}-{module.id}": module.id
    for position, module in enumerate(load_content(ROOT / "data").ordered_modules())
    if module.needs.scenarios >= 3
}
PRINCIPLE = next(iter(PRINCIPLES.values()))
#: Text left to write. The markers are matched as markers, in capitals (TODO, TBD, FIXME, XXX),
#: so that words such as Spanish "todo" (all) and "Todo el grupo" are not taken for them;
#: placeholder Latin in any case.
PLACEHOLDER = re.compile(r"\b(?:TODO|TBD|FIXME|XXX)\b|\b(?i:lorem|ipsum)\b")


def read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def code(nb: nbformat.NotebookNode) -> list[str]:
    return [cell.source for cell in nb.cells if cell.cell_type == "code"]


def test_the_workshop_sequence_is_complete() -> None:
    """One notebook per module, numbered by the module order in data/."""
    modules = load_content(ROOT / "data").ordered_modules()
    assert [p.stem for p in NOTEBOOKS] == [f"{i:02d}-{m.id}" for i, m in enumerate(modules)]
    assert modules[0].kind == "opening" and modules[-1].kind == "closing"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_saved_without_outputs(path: Path) -> None:
    for cell in read(path).cells:
        if cell.cell_type == "code":
            assert not cell.outputs and cell.execution_count is None


@pytest.mark.parametrize("stem", PRINCIPLES)
def test_principle_notebook_structure(stem: str) -> None:
    nb = read(WORKSHOPS / f"{stem}.ipynb")
    calls = [c.strip() for c in code(nb)]
    assert f'ws = peerkit.Workshop("{PRINCIPLES[stem]}")' in calls[0]
    for required in ("ws.intro()", "ws.console()", "ws.discussion()", "ws.reflection()"):
        assert required in calls, required
    assert any(c.startswith("ws.slider(") for c in calls)
    for index in range(3):
        position = calls.index(f"ws.scenario({index})")
        assert calls[position + 1 : position + 3] == [
            f"ws.vote_note({index})",
            f"ws.debrief({index})",
        ], "every vote is followed by the note on running it, then its debrief"
    assert "ws.more_scenarios()" in calls
    facilitator = [c for c in nb.cells if FACILITATOR_TAG in c.metadata.get("tags", [])]
    assert len(facilitator) >= 4
    shared = [c.source for c in facilitator if c.cell_type == "code"]
    assert all(re.fullmatch(r'ws\.(note\("[a-z-]+"\)|vote_note\(\d\))', s) for s in shared), shared


def test_setup_and_wrap_up_ask_the_same_scale() -> None:
    modules = load_content(ROOT / "data").ordered_modules()
    opening = next(f"{i:02d}-{m.id}" for i, m in enumerate(modules) if m.kind == "opening")
    closing = next(f"{i:02d}-{m.id}" for i, m in enumerate(modules) if m.kind == "closing")
    setup = "\n".join(code(read(WORKSHOPS / f"{opening}.ipynb")))
    wrap = "\n".join(code(read(WORKSHOPS / f"{closing}.ipynb")))
    scale = load_content().pre_post_scale.id
    assert f'ws.slider("{scale}", tag="pre")' in setup
    assert f'ws.slider("{scale}", tag="post")' in wrap
    assert "ws.pre_post()" in wrap and "ws.export(" in wrap


def test_no_placeholder_text_in_notebooks_or_data() -> None:
    files = [
        *NOTEBOOKS,
        *sorted((ROOT / "data").rglob("*.yaml")),
        *sorted((ROOT / "examples").rglob("*.yaml")),
        *sorted((ROOT / "docs").glob("*.md")),
    ]
    offenders = [
        f"{path.relative_to(ROOT)}: {match.group(0)!r}"
        for path in files
        for match in PLACEHOLDER.finditer(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_placeholder_check_can_fail() -> None:
    assert PLACEHOLDER.search("Add the vignette here (TBD)")
    assert PLACEHOLDER.search("Lorem ipsum dolor")
    assert not PLACEHOLDER.search("The peer worker stepped back.")
    # Spanish "todo" (all, everything) is a word, not a marker; a real marker still fails.
    assert not PLACEHOLDER.search("Todo el grupo votó, y lo hablamos todo con calma.")
    assert not PLACEHOLDER.search("language: es\nvignette: Lo ha intentado todo.")
    assert PLACEHOLDER.search("vignette: TODO: escribir la situación")
    assert PLACEHOLDER.search("Texto pendiente (TBD)")
    assert PLACEHOLDER.search("XXX revisar") and PLACEHOLDER.search("LOREM IPSUM")


def test_scenarios_come_from_data_not_from_notebooks() -> None:
    content = load_content()
    texts = []
    for scenario in content.scenarios.values():
        q = scenario.question
        texts += [
            q.vignette,
            *(o.text for o in q.options),
            *(o.debrief for o in q.options),
            q.debrief,
        ]
    fragments = {t[:60] for t in texts if len(t) >= 60}
    for path in NOTEBOOKS:
        nb = read(path)
        source = "\n".join(cell.source for cell in nb.cells)
        assert not [f for f in fragments if f in source], f"{path.name} repeats scenario text"
        for line in "\n".join(code(nb)).splitlines():
            line = line.strip()
            allowed = line in ("", "import peerkit") or line.startswith(
                ("ws.", "ws = peerkit.Workshop(")
            )
            assert allowed, f"{path.name}: unexpected code {line!r}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_participant_copy_has_no_facilitator_cells(path: Path) -> None:
    nb = read(path)
    copy = participant_copy(nb)
    assert len(copy.cells) < len(nb.cells)
    for cell in copy.cells:
        assert FACILITATOR_TAG not in cell.metadata.get("tags", [])
        assert "Facilitator note" not in cell.source
    kept = [c.source for c in nb.cells if FACILITATOR_TAG not in c.metadata.get("tags", [])]
    assert [c.source for c in copy.cells] == kept


def test_participant_copy_command(tmp_path: Path) -> None:
    from peerkit.cli import main

    out = tmp_path / "copies"
    assert main(["participant-copy", str(WORKSHOPS), "--out", str(out)]) == 0
    assert sorted(p.name for p in out.glob("*.ipynb")) == [p.name for p in NOTEBOOKS]
    with pytest.raises(ValueError, match="overwrite"):
        write_participant_copies([WORKSHOPS], WORKSHOPS)


def test_worked_example_in_adapting_guide_reaches_the_notebook(tmp_path: Path) -> None:
    """Follow docs/adapting.md: add its scenario file to a copy of data/, change no Python,
    run the module's notebook, and find the new scenario in it."""
    from nbclient import NotebookClient

    guide = (ROOT / "docs" / "adapting.md").read_text(encoding="utf-8")
    name, block = next(
        (name, block)
        for block, name in re.findall(r"```yaml\n(# (data/scenarios/\S+)\n.*?)```", guide, re.S)
    )
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data)
    (data / name.removeprefix("data/")).write_text(block, encoding="utf-8")
    content = load_content(data)
    module = re.search(r"^module: ([a-z0-9-]+)$", block, flags=re.MULTILINE).group(1)
    ids = re.findall(r"^  - id: ([a-z0-9-]+)$", block, flags=re.MULTILINE)
    added = [s for s in content.scenarios_for(module) if s.id in ids]
    assert len(added) == 1
    assert content.scenarios_for(module).index(added[0]) >= 3, (
        "an added file comes after the module's own"
    )
    stem = next(s for s, m in PRINCIPLES.items() if m == module)
    nb = read(WORKSHOPS / f"{stem}.ipynb")
    env_before = dict(os.environ)
    os.environ["PEERKIT_DATA"] = str(data)
    try:
        NotebookClient(
            nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
        ).execute()
    finally:
        os.environ.clear()
        os.environ.update(env_before)
    # The widgets' state, saved with the executed notebook, holds what the notebook showed.
    shown = str(nb.metadata.get("widgets", {}))
    assert added[0].question.title in shown
    assert added[0].question.options[0].text[:40] in shown


# --------------------------------------------------------------------------- template, notes once


def facilitator_paragraphs(nb: nbformat.NotebookNode) -> list[str]:
    """The paragraphs of a notebook's facilitator notes, whitespace made single spaces."""
    found = []
    for cell in nb.cells:
        if cell.cell_type == "markdown" and FACILITATOR_TAG in cell.metadata.get("tags", []):
            found += [" ".join(p.split()) for p in re.split(r"\n\s*\n", cell.source)]
    return found


def repeated_paragraphs(notebooks: dict[str, nbformat.NotebookNode], words: int = 20) -> list:
    """Facilitator paragraphs of more than ``words`` words found in two notebooks, and runs of
    ``words`` words shared by two notebooks' facilitator notes (a copy with a sentence added)."""
    seen: dict[str, str] = {}
    repeats = []
    for name, nb in notebooks.items():
        runs = set()
        for paragraph in facilitator_paragraphs(nb):
            tokens = paragraph.split()
            runs |= {" ".join(tokens[i : i + words]) for i in range(len(tokens) - words + 1)}
        for run in runs:
            if run in seen and seen[run] != name:
                repeats.append((seen[run], name, run))
            seen.setdefault(run, name)
    return repeats


def test_no_facilitator_paragraph_of_more_than_20_words_is_in_two_notebooks() -> None:
    """A note that several notebooks need lives once in data/notes.yaml (shown by ws.note)."""
    assert repeated_paragraphs({p.name: read(p) for p in NOTEBOOKS}) == []


def test_repeated_paragraph_check_can_fail() -> None:
    note = " ".join(f"word{i}" for i in range(25))
    one, two = nbformat.v4.new_notebook(), nbformat.v4.new_notebook()
    for nb, extra in ((one, ""), (two, " And one more sentence.")):
        cell = nbformat.v4.new_markdown_cell(f"**Facilitator note.** {note}{extra}")
        cell.metadata["tags"] = [FACILITATOR_TAG]
        nb.cells.append(cell)
    assert repeated_paragraphs({"a": one, "b": two})
    assert not repeated_paragraphs({"a": one})


def test_shipped_notebooks_match_the_template() -> None:
    """`peerkit notebooks --check`: every notebook is what the template makes of its module."""
    from peerkit.notebooks import sync_notebooks

    assert sync_notebooks(load_content(ROOT / "data"), WORKSHOPS, write=False) == []


def read_module(path: Path) -> str:
    setup = "\n".join(code(read(path)))
    return re.search(r'peerkit\.Workshop\("([a-z0-9-]+)"\)', setup).group(1)


def test_notebook_text_names_no_scenario_and_no_other_module() -> None:
    """Scenario titles, the people in them, other sessions' titles and the number of sessions
    appear only through ws. calls, from data/."""
    content = load_content(ROOT / "data")
    names: set[str] = set()
    for scenario in content.scenarios.values():
        vignette = scenario.question.vignette  # names: capitalised mid-sentence, or "Name, a ..."
        # (not the first word of a quotation: "Sometimes I think ...")
        names |= set(re.findall(r"(?<![.!?] )(?<!^)(?<![\"“])\b([A-Z][a-z]{2,})\b", vignette))
        names |= set(re.findall(r"^([A-Z][a-z]{2,}),", vignette))
    names -= {"The", "His", "Her", "What", "You", "Could", "Men", "Friday", "Thursday", "September"}
    titles = {s.question.title for s in content.scenarios.values()}
    for path in NOTEBOOKS:
        text = "\n".join(c.source for c in read(path).cells if c.cell_type == "markdown")
        assert not [t for t in titles if t in text], path.name
        assert not [n for n in names if re.search(rf"\b{n}\b", text)], path.name
        assert "last tab" not in text.lower(), path.name
        # The day's sessions are listed and counted by ws.sessions(), ws.recap(), ws.next().
        others = [m.title for m in content.ordered_modules() if m.id != read_module(path)]
        assert not [t for t in others if t.lower() in text.lower()], path.name
        counted = r"\b(three|four|five|six|seven|eight|\d+)( \w+)? (principles|sessions)\b"
        assert not re.search(counted, text), path.name


def test_notebooks_follow_a_change_in_module_order(tmp_path: Path) -> None:
    """Moving a module renames and renumbers the notebooks, keeps their own cells, and the check
    reports the stale notebooks first."""
    from peerkit.notebooks import sync_notebooks

    data, workshops = tmp_path / "data", tmp_path / "workshops"
    shutil.copytree(ROOT / "data", data)
    shutil.copytree(WORKSHOPS, workshops)
    for name, order in (("02-rescuer.yaml", 3), ("03-empowerment.yaml", 2)):
        path = data / "modules" / name
        path.write_text(re.sub(r"^order: \d+", f"order: {order}", path.read_text(), flags=re.M))
    content = load_content(data)
    changes = sync_notebooks(content, workshops, write=False)
    assert any("02-rescuer.ipynb" in c and "03-rescuer.ipynb" in c for c in changes), changes
    before = [
        c.source for c in read(WORKSHOPS / "02-rescuer.ipynb").cells if "peerkit" not in c.metadata
    ]
    sync_notebooks(content, workshops, write=True)
    assert sorted(p.name for p in workshops.glob("0[23]-*.ipynb")) == [
        "02-empowerment.ipynb",
        "03-rescuer.ipynb",
    ]
    moved = read(workshops / "03-rescuer.ipynb")
    assert moved.cells[0].source.startswith("# 03 · ")
    assert [c.source for c in moved.cells if "peerkit" not in c.metadata] == before
    assert sync_notebooks(content, workshops, write=False) == []


def test_validate_reports_a_notebook_that_no_longer_matches(tmp_path: Path, capsys) -> None:
    from peerkit.cli import main

    shutil.copytree(ROOT / "data", tmp_path / "data")
    shutil.copytree(WORKSHOPS, tmp_path / "workshops")
    nb = read(tmp_path / "workshops" / "02-rescuer.ipynb")
    nb.cells = [c for c in nb.cells if c.source != "ws.scenario(2)"]
    nbformat.write(nb, tmp_path / "workshops" / "02-rescuer.ipynb")
    assert main(["validate", str(tmp_path / "data")]) == 1
    out = capsys.readouterr().out
    assert "02-rescuer.ipynb: cell" in out and "run `peerkit notebooks`" in out, out
    assert main(["notebooks", "--data", str(tmp_path / "data")]) == 0
    assert main(["validate", str(tmp_path / "data")]) == 0


@pytest.fixture
def project_copy(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "data", tmp_path / "data")
    shutil.copytree(WORKSHOPS, tmp_path / "workshops")
    return tmp_path


def test_new_module_leaves_its_texts_to_write_and_validate_lists_them(
    project_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from peerkit.cli import main

    data = str(project_copy / "data")
    modules = load_content(project_copy / "data").ordered_modules()
    closing = next(i for i, m in enumerate(modules) if m.kind == "closing")  # it goes before
    new, moved = f"{closing:02d}-test-boundaries", f"{closing + 1:02d}-{modules[closing].id}"
    assert (
        main(["new-module", "test-boundaries", "--title", "Honest boundaries", "--data", data]) == 0
    )
    written = capsys.readouterr().out
    assert "wrote " in written and f"{new}.ipynb" in written
    assert (project_copy / "workshops" / f"{moved}.ipynb").is_file()
    assert not (project_copy / "workshops" / f"{closing:02d}-{modules[closing].id}.ipynb").exists()
    assert main(["validate", data]) == 1
    report = capsys.readouterr().out
    assert "data/scenarios/test-boundaries.yaml:" in report and "still to write" in report
    assert re.search(rf"modules/{new}\.yaml:\d+: still to write", report), report
    nb = read(project_copy / "workshops" / f"{new}.ipynb")
    assert nb.cells[0].source.startswith(f"# {closing:02d} · Honest boundaries")
    assert "ws.scenario(2)" in code(nb) and "ws.slider()" in code(nb)


@pytest.mark.parametrize(
    ("args", "words"),
    [
        ([PRINCIPLE, "--title", "Again"], f"there is already a module '{PRINCIPLE}'"),
        (["test-new", "--title", "New", "--after", "nowhere"], "there is no module 'nowhere'"),
        (["Test!", "--title", "New"], "lowercase letters, digits and hyphens"),
    ],
)
def test_new_module_refuses_with_a_reason(
    project_copy: Path, capsys: pytest.CaptureFixture[str], args: list[str], words: str
) -> None:
    from peerkit.cli import main

    assert main(["new-module", *args, "--data", str(project_copy / "data")]) == 1
    assert words in capsys.readouterr().err
    assert sorted(p.name for p in (project_copy / "workshops").glob("*.ipynb")) == [
        p.name for p in NOTEBOOKS
    ]


def test_validate_names_a_shared_note_that_is_missing(
    project_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from peerkit.cli import main

    notes = project_copy / "data" / "notes.yaml"
    notes.write_text(notes.read_text().replace("  moderation: >", "  moderating: >"))
    assert main(["validate", str(project_copy / "data")]) == 1
    out = capsys.readouterr().out
    assert "needs the text 'moderation', which data/notes.yaml does not have" in out, out


def test_a_scenarios_own_questions_and_note_come_from_its_file() -> None:
    import html

    import peerkit

    ws = peerkit.Workshop(next(iter(PRINCIPLES.values())))
    scenario = ws.scenarios[0]
    assert scenario.room_questions and scenario.facilitator_note
    debrief = ws.debrief(0).value
    assert "Questions for the room" in debrief
    assert all(html.escape(q) in debrief for q in scenario.room_questions)
    note = ws.vote_note(0).data
    assert note.startswith("**Facilitator note.** Running the vote")
    assert note.endswith(scenario.facilitator_note)


def test_an_extension_module_is_an_optional_session(
    project_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--kind extension`: the same notebook as a principle, listed apart as optional."""
    import peerkit
    from peerkit.cli import main

    data = project_copy / "data"
    args = ["test-extension", "--title", "An optional session", "--kind", "extension"]
    assert main(["new-module", *args, "--data", str(data)]) == 0
    for path in data.rglob("*test-extension.yaml"):  # write every text, here in one go
        path.write_text(path.read_text().replace("(to write) ", ""))
    assert main(["validate", str(data)]) == 0
    monkeypatch.setenv("PEERKIT_DATA", str(data))
    ws = peerkit.Workshop("setup")
    sessions = ws.sessions().data
    optional = sessions[sessions.index("Your facilitator may add optional session") :]
    assert "- An optional session." in optional
    assert "An optional session (optional) | 55 |" in ws.timetable().data
    assert "An optional session" not in peerkit.Workshop("wrap-up").recap().data
    notebook = next((project_copy / "workshops").glob("*-test-extension.ipynb"))
    assert "ws.more_scenarios()" in code(read(notebook))


def test_two_new_modules_in_a_row(project_copy: Path) -> None:
    """The second new module is added while the first is still to write; each takes the next
    place, and the closing session moves on each time."""
    from peerkit.cli import main

    data = str(project_copy / "data")
    before = len(list((project_copy / "workshops").glob("*.ipynb")))
    for module_id in ("test-first", "test-second"):
        assert main(["new-module", module_id, "--title", module_id, "--data", data]) == 0
    names = sorted(p.stem for p in (project_copy / "workshops").glob("*.ipynb"))
    assert len(names) == before + 2
    assert names[-3:-1] == [f"{before - 1:02d}-test-first", f"{before:02d}-test-second"]
    assert names[-1].startswith(f"{before + 1:02d}-")
