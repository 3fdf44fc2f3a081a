"""Test tools from npm (package.json / package-lock.json), installed with ``npm ci`` the first
time a test needs one: JupyterHub's proxy and axe-core for the accessibility checks."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NODE_MODULES = ROOT / "node_modules"
PROXY = NODE_MODULES / ".bin" / "configurable-http-proxy"
AXE = NODE_MODULES / "axe-core" / "axe.min.js"


def npm_tool(path: Path) -> Path:
    """``path`` inside node_modules, after ``npm ci`` if it is not there yet."""
    if not path.exists():
        npm = shutil.which("npm")
        if npm is None:
            pytest.fail(
                "npm is needed to install the test tools in package-lock.json (JupyterHub's "
                "proxy, axe-core): install Node.js and npm (Debian: apt-get install nodejs npm)"
            )
        done = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if done.returncode or not path.exists():
            pytest.fail(f"npm ci failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return path


def axe_script() -> Path:
    """axe-core's browser script, to inject into a page."""
    return npm_tool(AXE)
