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
PLACEHOLDER = re.compile(r"\b(TODO|TBD|FIXME|lorem|ipsum)\b|xxx", re.IGNORECASE)


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
    setup = "\n".join(code(read(WORKSHOPS / "00-setup.ipynb")))
    modules = load_content(ROOT / "data").ordered_modules()
    closing = next(f"{i:02d}-{m.id}" for i, m in enumerate(modules) if m.kind == "closing")
    wrap = "\n".join(code(read(WORKSHOPS / f"{closing}.ipynb")))
    scale = load_content().pre_post_scale.id
    assert f'ws.slider("{scale}", tag="pre")' in setup
    assert f'ws.slider("{scale}", tag="post")' in wrap
    assert "ws.pre_post()" in wrap and "ws.export(" in wrap


def test_no_placeholder_text_in_notebooks_or_data() -> None:
    files = [
        *NOTEBOOKS,
        *sorted((ROOT / "data").rglob("*.yaml")),
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
    name = re.search(r"`data/scenarios/([a-z0-9-]+\.yaml)`", guide).group(1)
    block = re.search(r"```yaml\n(.*?)```", guide, flags=re.DOTALL).group(1)
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data)
    (data / "scenarios" / name).write_text(block, encoding="utf-8")
    content = load_content(data)
    module = re.search(r"^module: ([a-z0-9-]+)$", block, flags=re.MULTILINE).group(1)
    added = [s for s in content.scenarios_for(module) if s.id not in load_content().scenarios]
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
