"""The worked examples of docs/adapting.md, followed as an educator would in a copy of the project.

In one temporary copy: add the guide's scenario, add the guide's module with `peerkit new-module`
and fill in its files from the guide, and replace the safety resources with the guide's. Then
`peerkit validate` passes, and the project's own content and workshop tests, and nbval on the new
notebook, pass in that copy (one pytest subprocess), so an educator's fork stays green.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from peerkit.cli import main
from peerkit.content import load_content

ROOT = Path(__file__).resolve().parent.parent
GUIDE = (ROOT / "docs" / "adapting.md").read_text(encoding="utf-8")


def guide_files() -> dict[str, str]:
    """Every YAML block of the guide that starts with a ``# data/...`` line naming its file."""
    blocks = re.findall(r"```yaml\n(# (data/\S+?)(?::[^\n]*)?\n.*?)```", GUIDE, flags=re.DOTALL)
    return {name: block for block, name in blocks}


def test_the_guide_has_its_worked_examples() -> None:
    files = guide_files()
    assert any(name.startswith("data/scenarios/rescuer-") for name in files), files
    assert {"data/modules/06-hope.yaml", "data/scenarios/hope.yaml", "data/safety.yaml"} <= set(
        files
    )
    assert 'peerkit new-module hope --title "Hope and recovery" --after autonomy' in GUIDE


@pytest.fixture(scope="module")
def fork(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the project with the guide's three worked examples applied."""
    copy = tmp_path_factory.mktemp("fork")
    for name in ("data", "workshops", "tests", "docs"):
        shutil.copytree(ROOT / name, copy / name)
    for name in ("conftest.py", "pyproject.toml"):
        shutil.copy(ROOT / name, copy / name)
    files = guide_files()
    # 1. A scenario for the rescuer session.
    scenario = next(name for name in files if name.startswith("data/scenarios/rescuer-"))
    (copy / scenario).write_text(files.pop(scenario), encoding="utf-8")
    # 2. A module from the command, its texts then written from the guide.
    command = re.search(r"peerkit new-module hope (.*)", GUIDE).group(1)
    title = re.search(r'--title "([^"]+)"', command).group(1)
    after = re.search(r"--after (\S+)", command).group(1)
    folders = ["--data", str(copy / "data"), "--notebooks", str(copy / "workshops")]
    assert main(["new-module", "hope", "--title", title, "--after", after, *folders]) == 0
    # 3. Local support services in place of the shipped examples.
    resources = files.pop("data/safety.yaml")
    safety = copy / "data" / "safety.yaml"
    text = safety.read_text(encoding="utf-8")
    block = resources.split("\n", 1)[1]
    text = re.sub(r"^resources:\n.*?(?=^resources_note:)", block, text, flags=re.M | re.S)
    safety.write_text(text, encoding="utf-8")
    for name, block in files.items():
        (copy / name).write_text(block, encoding="utf-8")
    return copy


def test_worked_examples_validate(fork: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(fork / "data")]) == 0, capsys.readouterr().out
    content = load_content(fork / "data")
    order = [m.id for m in content.ordered_modules()]
    assert order[order.index("autonomy") + 1] == "hope" and order[-1] == "wrap-up"
    assert len(content.scenarios_for("hope")) == 3
    assert "Riverside Trust duty worker" in [r.name for r in content.safety.resources]
    notebooks = sorted(p.name for p in (fork / "workshops").glob("*.ipynb"))
    assert notebooks[6] == "06-hope.ipynb"
    assert notebooks[-1] == f"{len(order) - 1:02d}-wrap-up.ipynb"


def test_opening_and_closing_name_the_new_principle(
    fork: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No notebook was edited by hand, yet the setup's sessions and the wrap-up's recap now name
    six principles, and the autonomy notebook's next link points at the new session."""
    import peerkit

    monkeypatch.setenv("PEERKIT_DATA", str(fork / "data"))
    sessions = peerkit.Workshop("setup").sessions().data
    assert "there are six short sessions" in sessions and "6. Hope and recovery." in sessions
    recap = peerkit.Workshop("wrap-up").recap().data
    assert recap.count("\n") == 5 and "6. **Hope and recovery.**" in recap
    assert peerkit.Workshop("autonomy").next().data == "Next: **06 · Hope and recovery**."
    closing = len(load_content(fork / "data").ordered_modules()) - 1
    assert f"| {closing:02d} | Bringing it together |" in peerkit.Workshop("setup").timetable().data


def test_the_projects_tests_pass_in_the_fork(fork: Path) -> None:
    """The content and workshop tests, and nbval on the new notebook, all pass in the copy."""
    env = {**os.environ, "PEERKIT_DATA": str(fork / "data")}
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-x",
         "tests/test_content.py", "tests/test_workshops.py", "workshops/06-hope.ipynb"],
        cwd=fork, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert re.search(r"\d+ passed", run.stdout)


# --------------------------------------------------------------------------- translating a module

SPANISH = ROOT / "examples" / "es"


def test_the_spanish_example_validates(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(SPANISH)]) == 0, capsys.readouterr().out
    assert "peerkit validate examples/es" in GUIDE
    assert "## Translating a module" in GUIDE and "peerkit lab --language es" in GUIDE


def test_every_file_of_the_spanish_example_says_it_is_spanish() -> None:
    import yaml

    files = sorted(SPANISH.rglob("*.yaml"))
    assert len(files) >= 7
    for path in files:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert data.get("language") == "es", path


def test_the_spanish_modules_questions_load() -> None:
    english = load_content(ROOT / "data")
    spanish = load_content(SPANISH)
    module = spanish.module("empowerment")
    assert module.title.startswith("Empoderamiento") and module.kind == "principle"
    # The same ids as the English module, so its notebook runs on either folder.
    scenarios = [s.id for s in spanish.scenarios_for("empowerment")]
    assert scenarios == [s.id for s in english.scenarios_for("empowerment")]
    ids = [
        *scenarios,
        *(s.id for s in spanish.scales_for("empowerment")),
        *(p.id for p in spanish.prompts_for("empowerment")),
        spanish.pre_post_scale.id,
    ]
    assert len(ids) == 9
    for content_id in ids:
        question = spanish.question(content_id)
        assert question.prompt and question.prompt != english.question(content_id).prompt
    vote = spanish.question("medication-reduction")
    assert vote.prompt == "¿Qué harías ahora?" and vote.option_ids == ("a", "b", "c", "d")
    assert set(english.notes.facilitator) == set(spanish.notes.facilitator)
    assert set(english.notes.participants) == set(spanish.notes.participants)


def test_the_spanish_example_has_the_spanish_safety_list() -> None:
    safety = load_content(SPANISH).safety
    shipped = load_content(ROOT / "data").safety
    assert safety.languages == ("en", "es")
    assert safety.for_language("es").flag_terms == shipped.for_language("es").flag_terms
    assert safety.flag_terms == shipped.flag_terms  # the English list shipped with peerkit
    assert safety.flags("Quiero MORÍR", "es") and safety.flags("I want to die", "es")
    assert all("Ejemplo" in r.note for r in safety.resources_for("es")[:-1])


def test_the_spanish_workshop_shows_spanish_content_and_resources(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import peerkit
    from peerkit import i18n

    monkeypatch.setenv("PEERKIT_DATA", str(SPANISH))
    before = i18n.active()
    try:
        i18n.use("es")
        ws = peerkit.Workshop("empowerment")
        assert "<h2>Empoderamiento: la persona lleva el volante</h2>" in ws.intro().value
        support = ws.support().data
        assert "Línea 024" in support and "Ejemplo: sustituye" in support
        assert "Nota para facilitar" in ws.note("session-start").data
    finally:
        i18n.use(before)


def test_the_spanish_notebook_runs(tmp_path: Path) -> None:
    """The guide's commands: a notebook made from the template with the Spanish folder runs
    from top to bottom (nbval, with a rehearsal group) on that folder."""
    notebooks = tmp_path / "es-workshops"
    notebooks.mkdir()
    assert main(["notebooks", "--data", str(SPANISH), "--notebooks", str(notebooks)]) == 0
    assert [p.name for p in notebooks.glob("*.ipynb")] == ["00-empowerment.ipynb"]
    env = {
        **os.environ,
        "PEERKIT_DATA": str(SPANISH),
        "PEERKIT_HOME": str(tmp_path / "home"),
        "PEERKIT_REHEARSE": "25",
        "PEERKIT_SEED": "1",
        "MPLBACKEND": "Agg",
    }
    for name in ("PEERKIT_SERVICE_URL", "PEERKIT_ROOM", "PEERKIT_FACILITATOR_KEY"):
        env.pop(name, None)
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-c",
         str(ROOT / "pyproject.toml"), "--rootdir", str(tmp_path),
         str(notebooks / "00-empowerment.ipynb")],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
