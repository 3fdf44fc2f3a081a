"""peerkit: live, interactive workshops on the principles of peer support, in Jupyter.

Importing the package is cheap: the widgets, charts and their heavy dependencies (matplotlib,
ipywidgets) load only when a notebook first asks for them.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# Public names that live in submodules; loaded on first use.
_LAZY = {
    "connect": "peerkit.sessions",
    "ScenarioVote": "peerkit.widgets",
    "AutonomySlider": "peerkit.widgets",
    "ReflectionBox": "peerkit.widgets",
    "LivePollChart": "peerkit.widgets",
    "FacilitatorConsole": "peerkit.widgets",
    "Workshop": "peerkit.workshop",
    "rehearse": "peerkit.rehearsal",
    "load_content": "peerkit.content",
    "ContentError": "peerkit.content",
    "open_store": "peerkit.store",
    "results_frame": "peerkit.report",
    "pre_post_frame": "peerkit.report",
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'peerkit' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
