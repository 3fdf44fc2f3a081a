"""Participant copies of the workshop notebooks, made from the facilitator's source.

Facilitator notes live in cells tagged ``facilitator``; a participant copy is the same notebook
without them (and without outputs), so there are never two hand-kept copies.
"""

from __future__ import annotations

from pathlib import Path

import nbformat

FACILITATOR_TAG = "facilitator"

__all__ = ["FACILITATOR_TAG", "participant_copy", "write_participant_copies"]


def participant_copy(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy of ``notebook`` without facilitator cells and without outputs."""
    copy = nbformat.from_dict(notebook)
    copy.cells = [
        cell
        for cell in copy.cells
        if FACILITATOR_TAG not in cell.get("metadata", {}).get("tags", [])
    ]
    for cell in copy.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    return copy


def write_participant_copies(sources: list[Path], out: Path) -> list[Path]:
    """Write a participant copy of each notebook (or each notebook in each folder) into ``out``."""
    notebooks: list[Path] = []
    for source in sources:
        notebooks += sorted(source.glob("*.ipynb")) if source.is_dir() else [source]
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for path in notebooks:
        if path.resolve().parent == out.resolve():
            raise ValueError(f"{out} would overwrite the facilitator notebook {path.name}")
        copy = participant_copy(nbformat.read(path, as_version=4))
        target = out / path.name
        nbformat.write(copy, target)
        written.append(target)
    return written
