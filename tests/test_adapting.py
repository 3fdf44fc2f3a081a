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
    assert [m.id for m in content.ordered_modules()][-2:] == ["hope", "wrap-up"]
    assert len(content.scenarios_for("hope")) == 3
    assert "Riverside Trust duty worker" in [r.name for r in content.safety.resources]
    assert sorted(p.name for p in (fork / "workshops").glob("0[67]-*.ipynb")) == [
        "06-hope.ipynb",
        "07-wrap-up.ipynb",
    ]


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
    assert "| 07 | Bringing it together |" in peerkit.Workshop("setup").timetable().data


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
