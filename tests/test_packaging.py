"""Packaging: pyproject.toml and environment.yml agree; importing peerkit stays light."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~ \[;]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _spec(requirement: str) -> str:
    return requirement.strip()[len(_name(requirement)) :].replace(" ", "")


def test_environment_yml_matches_pyproject() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime = {_name(r): _spec(r) for r in project["dependencies"]}
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert env["channels"] == ["conda-forge"]
    conda = {}
    pip_entries: list[str] = []
    for entry in env["dependencies"]:
        if isinstance(entry, dict):
            pip_entries.extend(entry.get("pip", []))
        elif _name(entry) not in ("python", "pip"):
            conda[_name(entry)] = _spec(entry)
    assert conda == runtime, (
        "environment.yml and pyproject.toml list different runtime dependencies"
    )
    assert "-e ." in pip_entries or "." in pip_entries, (
        "environment.yml must install peerkit itself"
    )
    python = next(e for e in env["dependencies"] if isinstance(e, str) and _name(e) == "python")
    assert _spec(python) == project["requires-python"]


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
