"""Packaging: pyproject.toml and environment.yml agree, Binder builds what the README links to,
the licences ship in the sdist and wheel, and importing peerkit stays light."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tomllib
import urllib.parse
import zipfile
from pathlib import Path

import pytest
import yaml

import peerkit

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
#: conda-forge names for the PyPI packages whose conda package is split up.
CONDA_NAMES = {"matplotlib-base": "matplotlib"}


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~ \[;]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _spec(requirement: str) -> str:
    return requirement.strip()[len(_name(requirement)) :].replace(" ", "")


def _project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def _environment() -> dict:
    return yaml.safe_load((ROOT / "environment.yml").read_text())


def test_environment_yml_matches_pyproject() -> None:
    runtime = {_name(r): _spec(r) for r in _project()["dependencies"]}
    env = _environment()
    assert env["channels"] == ["conda-forge"]
    conda = {}
    pip_entries: list[str] = []
    for entry in env["dependencies"]:
        if isinstance(entry, dict):
            pip_entries.extend(entry.get("pip", []))
        elif _name(entry) not in ("python", "pip"):
            conda[CONDA_NAMES.get(_name(entry), _name(entry))] = _spec(entry)
    assert conda == runtime, (
        "environment.yml and pyproject.toml list different runtime dependencies"
    )
    assert "-e ." in pip_entries or "." in pip_entries, (
        "environment.yml must install peerkit itself"
    )
    # conda-forge's plain matplotlib pulls in Qt; a notebook needs only matplotlib-base.
    assert "matplotlib" not in {_name(e) for e in env["dependencies"] if isinstance(e, str)}


def test_environment_pins_one_python_that_pyproject_accepts() -> None:
    """repo2docker reads only an exact ``python=X.Y``; a range leaves Binder on its default."""
    env = _environment()
    python = next(e for e in env["dependencies"] if isinstance(e, str) and _name(e) == "python")
    pinned = re.fullmatch(r"python=(\d+)\.(\d+)", python.replace(" ", ""))
    assert pinned, f"environment.yml must pin python=X.Y exactly, not {python!r}"
    lowest = re.fullmatch(r">=(\d+)\.(\d+)", _project()["requires-python"])
    assert lowest, "requires-python is expected as >=X.Y"
    assert tuple(map(int, pinned.groups())) >= tuple(map(int, lowest.groups()))


def test_repo2docker_reads_the_pinned_python_and_installs_peerkit() -> None:
    """The build script Binder would run (no Docker needed for --no-build)."""
    pinned = next(
        e for e in _environment()["dependencies"] if isinstance(e, str) and _name(e) == "python"
    ).replace(" ", "")
    result = subprocess.run(
        [BIN / "repo2docker", "--no-build", "--debug", str(ROOT)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    log = result.stdout + result.stderr
    assert "Python version unspecified" not in log
    assert f"Building conda environment for {pinned}" in log
    version = pinned.split("=")[1]
    assert f"environment-2epy-2d{version.replace('.', '-2e')}-2dlinux" in log, (
        "repo2docker did not start from its ready-made environment for the pinned Python"
    )
    assert re.search(r'env update -p \$\{NB_PYTHON_PREFIX\} --file "environment\.yml"', log)
    assert "RUN ./postBuild" in log


def _binder_urlpath() -> tuple[str, str]:
    readme = (ROOT / "README.md").read_text()
    link = re.search(r"\(https://mybinder\.org/v2/gh/([^/]+/[^/]+)/[^)?]+\?([^)]+)\)", readme)
    assert link, "README.md has no 'launch on Binder' badge"
    query = urllib.parse.parse_qs(link.group(2))
    return link.group(1), query["urlpath"][0]


def test_binder_badge_names_this_repository() -> None:
    repo, _urlpath = _binder_urlpath()
    assert _project()["urls"]["Repository"] == f"https://github.com/{repo}"


def test_binder_opens_the_self_paced_start_without_facilitator_notes(tmp_path: Path) -> None:
    """Run postBuild as Binder does, in a copy of the repository, and open what the link opens."""
    _repo, urlpath = _binder_urlpath()
    assert urlpath.startswith("lab/tree/")
    shutil.copytree(ROOT / "workshops", tmp_path / "workshops")
    shutil.copy2(ROOT / "postBuild", tmp_path / "postBuild")
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    subprocess.run(["bash", "postBuild"], cwd=tmp_path, env=env, check=True, capture_output=True)
    opened = tmp_path / urlpath.removeprefix("lab/tree/")
    assert opened.is_file(), f"the Binder link opens {opened.name}, which postBuild did not write"
    assert opened.name == "00-setup.ipynb"
    cells = json.loads(opened.read_text())["cells"]
    assert cells, "the self-paced start notebook is empty"
    written = sorted(p.name for p in opened.parent.glob("*.ipynb"))
    assert written == sorted(p.name for p in (ROOT / "workshops").glob("*.ipynb"))
    for notebook in opened.parent.glob("*.ipynb"):
        for cell in json.loads(notebook.read_text())["cells"]:
            assert "facilitator" not in cell.get("metadata", {}).get("tags", [])
            assert "Facilitator note" not in "".join(cell["source"]), notebook.name


def test_the_version_has_one_source() -> None:
    project = _project()
    assert "version" not in project and "version" in project["dynamic"]
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert pyproject["tool"]["hatch"]["version"]["path"] == "peerkit/__init__.py"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The sdist and the wheel, built as pip or a release would build them."""
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--sdist", "--wheel", "--outdir", str(out), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return {"sdist": next(out.glob("*.tar.gz")), "wheel": next(out.glob("*.whl"))}


def test_wheel_carries_both_licences_and_the_content(built: dict[str, Path]) -> None:
    with zipfile.ZipFile(built["wheel"]) as wheel:
        names = set(wheel.namelist())
        info = f"peerkit-{peerkit.__version__}.dist-info"
        assert f"{info}/licenses/LICENSE" in names
        assert f"{info}/licenses/LICENSE-CONTENT" in names
        assert "peerkit/data/README.md" in names
        assert wheel.read(f"{info}/licenses/LICENSE") == (ROOT / "LICENSE").read_bytes()
        metadata = wheel.read(f"{info}/METADATA").decode()
    assert "License-Expression: BSD-3-Clause AND CC-BY-4.0" in metadata
    assert f"Version: {peerkit.__version__}" in metadata


def test_sdist_carries_both_licences(built: dict[str, Path]) -> None:
    with tarfile.open(built["sdist"]) as sdist:
        names = {name.split("/", 1)[1] for name in sdist.getnames() if "/" in name}
    assert {"LICENSE", "LICENSE-CONTENT", "data/README.md", "environment.yml"} <= names


def test_readme_and_data_readme_name_both_licences() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "BSD 3-Clause" in readme and "(LICENSE)" in readme
    assert "CC BY 4.0" in readme and "(LICENSE-CONTENT)" in readme
    assert "CC BY 4.0" in (ROOT / "data" / "README.md").read_text()
    assert "Attribution 4.0 International" in (ROOT / "LICENSE-CONTENT").read_text()
    assert (ROOT / "LICENSE").read_text().startswith("BSD 3-Clause License")


def test_console_script_and_test_extra() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["scripts"]["peerkit"] == "peerkit.cli:main"
    assert {"pytest", "nbval"} <= {_name(r) for r in project["optional-dependencies"]["test"]}


def test_import_peerkit_loads_no_heavy_libraries() -> None:
    code = (
        "import sys, peerkit, peerkit.model, peerkit.content, peerkit.store;"
        "heavy = [m for m in ('matplotlib', 'pandas', 'ipywidgets', 'numpy') if m in sys.modules];"
        "print(','.join(heavy))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""


def test_console_script_runs() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "peerkit", "--version"], capture_output=True, text=True, check=True
    )
    assert result.stdout.startswith("peerkit ")


def test_ci_runs_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"# 2\. Install and run the whole test suite\n(.+)\n", readme)
    assert block, "README.md lost its test command"
    command = block.group(1).strip()
    ci_lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert command in ci_lines
