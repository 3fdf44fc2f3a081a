"""Participant copies of the workshop notebooks, made from the facilitator's source.

Facilitator notes live in cells tagged ``facilitator``; a participant copy is the same notebook
without them (and without outputs), so there are never two hand-kept copies.
"""

from __future__ import annotations

import hashlib
import re
import textwrap
from dataclasses import dataclass
from pathlib import Path

import nbformat

from .content import Content, Module
from .i18n import translator

FACILITATOR_TAG = "facilitator"

__all__ = [
    "FACILITATOR_TAG",
    "build_notebook",
    "notebook_name",
    "participant_copy",
    "sync_notebooks",
    "template",
    "write_participant_copies",
]


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


# --------------------------------------------------------------------------- the template
#
# Every workshop notebook is made from one template per kind of module. The template's cells
# are marked ``"peerkit": {"slot": name}`` in their metadata; every other cell is the notebook's
# own text (a session's framing, a note only that session needs) and is kept where it is when
# the notebook is made again. Text shared by several notebooks comes from ``data/notes.yaml``.

SLOT = "peerkit"


@dataclass(frozen=True)
class TemplateCell:
    slot: str
    kind: str  # "markdown" or "code"
    source: str
    facilitator: bool = False


def _md(slot: str, text: str, facilitator: bool = False) -> TemplateCell:
    return TemplateCell(slot, "markdown", text, facilitator)


def _code(slot: str, text: str, facilitator: bool = False) -> TemplateCell:
    return TemplateCell(slot, "code", text, facilitator)


def _section(slot: str, title: str, text: str) -> TemplateCell:
    """A second-level heading and the participants' note under it."""
    return _md(slot, f"## {title}\n\n{_wrap(text)}")


def _quote(text: str) -> str:
    return "\n".join("> " + line if line else ">" for line in textwrap.wrap(text, 96))


def template(content: Content, module: Module) -> list[TemplateCell]:
    """The cells the template gives ``module``'s notebook, in order."""
    shared = content.notes.participants
    t = translator(content.language)  # the headings are in the content's language
    number = content.position(module.id)
    heading = f"# {number:02d} · {module.title}"
    start = [
        _code("setup", f'import peerkit\n\nws = peerkit.Workshop("{module.id}")\nws.mode_note()'),
        _code("intro", "ws.intro()"),
        _code("console", "ws.console()"),
    ]
    if module.kind == "opening":
        return _opening(content, heading, start)
    if module.kind == "closing":
        return _closing(content, module, heading, start)
    needs = module.needs
    cells = [
        _md("title", f"{heading}\n\n{_quote(shared.get('content-note', ''))}".rstrip()),
        *start,
        _code("session-note", 'ws.note("session-start")', facilitator=True),
        _section("votes", t.gettext("Scenario votes"), shared.get("votes", "")),
    ]
    for index in range(needs.scenarios):
        cells += [
            _md(
                f"scenario-{index + 1}",
                "### " + t.gettext("Scenario {number}").format(number=index + 1),
            ),
            _code(f"vote-{index + 1}", f"ws.scenario({index})"),
            _code(f"vote-note-{index + 1}", f"ws.vote_note({index})", facilitator=True),
            _code(f"debrief-{index + 1}", f"ws.debrief({index})"),
        ]
    cells += [
        _section(
            "more",
            t.gettext("More scenarios for longer sessions"),
            shared.get("more-scenarios", ""),
        ),
        _code("more-scenarios", "ws.more_scenarios()"),
        _code("more-note", 'ws.note("more-scenarios")', facilitator=True),
        _section("slider-heading", t.gettext("Slider"), shared.get("slider", "")),
        _code("slider", "ws.slider()"),
        _code("slider-note", 'ws.note("slider")', facilitator=True),
        *_discussion(shared, t.gettext("Small-group discussion")),
        _section(
            "reflection-heading", t.gettext("Closing reflection"), shared.get("reflection", "")
        ),
        _code("reflection", "ws.reflection()"),
        _code("moderation", 'ws.note("moderation")', facilitator=True),
        _code("next", "ws.next()"),
    ]
    return cells


def _discussion(shared: dict[str, str], heading: str) -> list[TemplateCell]:
    return [
        _section("discussion-heading", heading, shared.get("discussion", "")),
        _code("discussion", "ws.discussion()"),
        _code("discussion-note", 'ws.note("discussion")', facilitator=True),
    ]


def _opening(content: Content, heading: str, start: list[TemplateCell]) -> list[TemplateCell]:
    scale = content.pre_post_scale.id
    return [
        _md("title", heading),
        *start,
        _code("sessions", "ws.sessions()"),
        _code("timetable", "ws.timetable()", facilitator=True),
        _code("discussion", "ws.discussion()"),
        _code("vote-1", "ws.scenario(0)"),
        _code("debrief-1", "ws.debrief(0)"),
        _code("slider", f'ws.slider("{scale}", tag="pre")'),
        _code("reflection", "ws.reflection()"),
        _code("moderation", 'ws.note("moderation")', facilitator=True),
        _code("next", "ws.next()"),
    ]


def _closing(
    content: Content, module: Module, heading: str, start: list[TemplateCell]
) -> list[TemplateCell]:
    scale = content.pre_post_scale.id
    cells = [
        _md("title", heading),
        *start,
        _code("recap", "ws.recap()"),
        _code("slider", f'ws.slider("{scale}", tag="post")'),
        _code("pre-post", "ws.pre_post()"),
        _code("discussion", "ws.discussion()"),
    ]
    for index in range(module.needs.prompts):
        cells.append(_code(f"reflection-{index + 1}", f"ws.reflection({index})"))
    return [
        *cells,
        _code("moderation", 'ws.note("moderation")', facilitator=True),
        _code("export", 'ws.export("exports")'),
    ]


def _wrap(text: str) -> str:
    return "\n".join(textwrap.wrap(" ".join(text.split()), 96)) if "\n- " not in text else text


def notebook_name(content: Content, module: Module) -> str:
    return f"{content.position(module.id):02d}-{module.id}.ipynb"


def build_notebook(
    content: Content, module: Module, existing: nbformat.NotebookNode | None = None
) -> nbformat.NotebookNode:
    """``module``'s notebook from the template, keeping the cells of ``existing`` that are its
    own (those without a template slot), each after the template cell it followed."""
    cells = template(content, module)
    slots = {cell.slot for cell in cells}
    own: dict[str, list] = {}
    anchor = ""
    for cell in existing.cells if existing is not None else []:
        slot = cell.get("metadata", {}).get(SLOT, {}).get("slot")
        if slot is None:
            own.setdefault(anchor, []).append(cell)
        elif slot in slots:
            anchor = slot
    nb = nbformat.v4.new_notebook()
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    for cell in own.pop("", []):
        nb.cells.append(_clean(cell))
    for spec in cells:
        made = (
            nbformat.v4.new_code_cell if spec.kind == "code" else nbformat.v4.new_markdown_cell
        )(spec.source)
        made.id = hashlib.blake2s(f"{module.id}/{spec.slot}".encode(), digest_size=4).hexdigest()
        made.metadata = {SLOT: {"slot": spec.slot}}
        if spec.facilitator:
            made.metadata["tags"] = [FACILITATOR_TAG]
        nb.cells.append(made)
        nb.cells += [_clean(cell) for cell in own.pop(spec.slot, [])]
    for orphans in own.values():  # their template cell is gone: keep them, at the end
        nb.cells += [_clean(cell) for cell in orphans]
    return nb


def _clean(cell: nbformat.NotebookNode) -> nbformat.NotebookNode:
    cell = nbformat.from_dict(cell)
    if cell.cell_type == "code":
        cell.outputs = []
        cell.execution_count = None
    return cell


def _module_of(nb: nbformat.NotebookNode) -> str | None:
    for cell in nb.cells:
        if cell.cell_type == "code":
            found = re.search(r'peerkit\.Workshop\(\s*"([a-z0-9-]+)"', cell.source)
            if found:
                return found.group(1)
    return None


def _comparable(nb: nbformat.NotebookNode) -> list[tuple[str, str, list]]:
    return [
        (c.cell_type, c.source.strip(), sorted(c.get("metadata", {}).get("tags", [])))
        for c in nb.cells
    ]


def sync_notebooks(content: Content, folder: Path, *, write: bool) -> list[str]:
    """Bring ``folder``'s notebooks in line with the modules in ``content``: one notebook per
    module, named and numbered by the module order, made from the template. Returns what was
    (or, without ``write``, would be) changed, one line each."""
    found: dict[str, Path] = {}
    changes: list[str] = []
    for path in sorted(folder.glob("*.ipynb")):
        module_id = _module_of(nbformat.read(path, as_version=4))
        if module_id is None:
            continue
        if module_id not in content.modules:
            changes.append(
                f"{path}: its module '{module_id}' is not in data/modules/; "
                "remove the notebook or add the module back"
            )
        else:
            found[module_id] = path
    for module in content.ordered_modules():
        target = folder / notebook_name(content, module)
        source = found.get(module.id)
        existing = nbformat.read(source, as_version=4) if source else None
        made = build_notebook(content, module, existing)
        changes += _missing_notes(content, module, made, target)
        if source is None:
            changes.append(f"{target}: missing; `peerkit notebooks` makes it from the template")
        elif source != target:
            changes.append(
                f"{source}: module '{module.id}' is session {target.name[:2]} in data/modules/, "
                f"so the notebook should be {target.name}"
            )
        elif _comparable(made) != _comparable(existing):
            changes.append(f"{target}: {_first_difference(made, existing)}")
        if write:
            if source is not None and source != target:
                source.rename(target)
            nbformat.write(made, target)
    return changes


#: The participant text the principle (and extension) template writes from data/notes.yaml.
PARTICIPANT_NOTES = (
    "content-note",
    "votes",
    "more-scenarios",
    "slider",
    "discussion",
    "reflection",
)


def _missing_notes(
    content: Content, module: Module, nb: nbformat.NotebookNode, path: Path
) -> list[str]:
    """Notes a notebook needs that data/notes.yaml lacks, said before the notebook runs."""
    names = re.findall(r'ws\.note\("([^"]+)"\)', "\n".join(c.source for c in nb.cells))
    names += ["first-vote", "next-vote", "later-vote"] if module.needs.scenarios >= 2 else []
    missing = [
        ("facilitator", name)
        for name in dict.fromkeys(names)
        if name not in content.notes.facilitator
    ]
    if module.kind not in ("opening", "closing"):
        missing += [
            ("participants", name)
            for name in PARTICIPANT_NOTES
            if name not in content.notes.participants
        ]
    return [
        f"{path}: needs the text '{name}', which data/notes.yaml does not have; "
        f"add it under '{audience}:'"
        for audience, name in missing
    ]


def _first_difference(made: nbformat.NotebookNode, existing: nbformat.NotebookNode) -> str:
    want, have = _comparable(made), _comparable(existing)
    for index, (a, b) in enumerate(zip(want, have, strict=False), 1):
        if a != b:
            first = (a[1].splitlines() or [""])[0]
            return f"cell {index} no longer matches its module; the template makes it {first!r}"
    return f"has {len(have)} cells where the template makes {len(want)}"
