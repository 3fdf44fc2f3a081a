"""The declared dependencies match the code: deptry, configured in pyproject.toml, finds every
module imported but not declared, and every runtime package declared but not imported.

Two checks: the whole repository (package, tests, benchmarks) against every dependency list,
and the package alone against its runtime dependencies and its own extras, so that an import
of a test-only package in ``peerkit/`` fails too. Each check is also run on a copy of the
project with one undeclared import added, and must fail there.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DEPTRY = Path(sys.executable).parent / "deptry"


def dependency_issues(root: Path, *, package_only: bool) -> list[str]:
    """deptry's findings for the project at ``root`` as "CODE module" lines (empty: all good)."""
    report = root / ".deptry.json"
    args = [str(DEPTRY), "peerkit", "--optional-dependencies-dev-groups", "test"]
    if not package_only:
        args = [str(DEPTRY), "."]
    result = subprocess.run(
        [*args, "--json-output", str(report)],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
    )
    try:
        found = json.loads(report.read_text())
    finally:
        report.unlink(missing_ok=True)
    issues = [f"{i['error']['code']} {i['module']}" for i in found]
    assert (result.returncode != 0) == bool(issues), result.stdout + result.stderr
    return issues


def test_every_import_is_declared_and_every_dependency_is_used() -> None:
    assert dependency_issues(ROOT, package_only=False) == []


def test_the_package_imports_only_its_runtime_dependencies_and_extras() -> None:
    assert dependency_issues(ROOT, package_only=True) == []


@pytest.fixture
def project_copy(tmp_path: Path) -> Path:
    """The package and its pyproject.toml, to break on purpose."""
    shutil.copy2(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    shutil.copytree(
        ROOT / "peerkit", tmp_path / "peerkit", ignore=shutil.ignore_patterns("__pycache__")
    )
    return tmp_path


@pytest.mark.parametrize("package_only", [False, True])
def test_an_undeclared_import_fails_the_check(project_copy: Path, package_only: bool) -> None:
    # requests is installed here (a dependency of a test tool) but peerkit does not declare it.
    (project_copy / "peerkit" / "fetching.py").write_text("import requests\n")
    issues = dependency_issues(project_copy, package_only=package_only)
    assert any(issue.endswith(" requests") for issue in issues), issues


def test_a_test_only_package_imported_by_the_package_fails_the_check(project_copy: Path) -> None:
    (project_copy / "peerkit" / "fuzzing.py").write_text("import hypothesis\n")
    assert "DEP004 hypothesis" in dependency_issues(project_copy, package_only=True)


def test_a_runtime_dependency_nothing_imports_fails_the_check(project_copy: Path) -> None:
    report = project_copy / "peerkit" / "report.py"
    report.write_text(report.read_text().replace("import pandas as pd", "pd = None"))
    assert "DEP002 pandas" in dependency_issues(project_copy, package_only=True)
