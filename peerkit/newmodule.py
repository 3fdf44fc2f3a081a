"""``peerkit new-module``: the files of a new module, ready to fill in, and its notebook.

Every text the educator has to write starts with :data:`~peerkit.content.TO_WRITE`, which
``peerkit validate`` refuses, so nothing unwritten reaches a workshop. The module goes into the
day where ``--after`` says; the modules after it move one place on, their files and notebooks
renamed to match, and every notebook is made again from the template.
"""

from __future__ import annotations

import re
from pathlib import Path

from .content import MODULE_KINDS, TO_WRITE, Content, load_content
from .model import ID_PATTERN

__all__ = ["NewModuleError", "new_module"]


class NewModuleError(ValueError):
    """Why a module cannot be added (a taken id, an unknown --after, ...)."""


def _w(text: str) -> str:
    """A text for the educator to write: the marker, then what to write."""
    return f'"{TO_WRITE} {text}"'


def module_yaml(module_id: str, title: str, kind: str, order: int) -> str:
    shape = (
        "  - segment: Framing\n    minutes: 8\n"
        "  - segment: Scenario votes and debriefs\n    minutes: 20\n"
        "  - segment: Slider\n    minutes: 5\n"
        "  - segment: Small-group discussion\n    minutes: 12\n"
        "  - segment: Report back, headlines only\n    minutes: 5\n"
        "  - segment: Closing reflection\n    minutes: 5\n"
    )
    return (
        f"# The {kind} module '{module_id}', made by peerkit new-module. Replace every text that\n"
        f"# starts with {TO_WRITE}; `peerkit validate` lists the ones still to write.\n"
        f"id: {module_id}\n"
        f"order: {order}\n"
        f"kind: {kind}\n"
        f"title: {_quoted(title)}\n"
        f"summary: {_w('Two or three sentences on what this session is about.')}\n"
        f"recap: {_w('One sentence for the closing session to recall this principle by.')}\n"
        "objectives:\n"
        f"  - {_w('What participants will be able to do by the end (one line each).')}\n"
        f"  - {_w('A second learning objective.')}\n"
        f"timing:\n{shape}"
        "discussion:\n"
        f"  - {_w('A prompt for small groups of three or four.')}\n"
        f"  - {_w('A second prompt, for groups that want a choice.')}\n"
    )


def scenarios_yaml(module_id: str, count: int) -> str:
    items = []
    for number in range(1, count + 1):
        items.append(
            f"  - id: {module_id}-scenario-{number}\n"
            f"    title: {_w('A short title for scenario ' + str(number) + '.')}\n"
            f"    vignette: {_w('Two or three sentences: who, what happened, what they said.')}\n"
            "    question: What would you do next?\n"
            "    options:\n"
            + "".join(
                f"      - id: {letter}\n"
                f"        text: {_w('A response, in the first person.')}\n"
                f"        stance: {stance}\n"
                f"        debrief: {_w('Why this response lands where it does.')}\n"
                for letter, stance in (
                    ("a", "rescuing"),
                    ("b", "autonomy-supporting"),
                    ("c", "controlling"),
                )
            )
            + f"    debrief: {_w('The point of this scenario, for the debrief after the vote.')}\n"
        )
    return (
        f"# Scenarios of the module '{module_id}'. Its notebook shows the first {count} as votes,\n"
        "# and any more under 'More scenarios'. Change the ids if you like (lowercase words\n"
        "# joined by hyphens), and each option's stance: controlling, rescuing, takes-over,\n"
        "# withdrawing or autonomy-supporting.\n"
        f"module: {module_id}\n"
        "scenarios:\n" + "\n".join(items)
    )


def scale_yaml(module_id: str) -> str:
    return (
        f"# The slider of the module '{module_id}'.\n"
        "scales:\n"
        f"  - id: {module_id}-slider\n"
        f"    title: {_w('A short question, such as: Inviting or pressing?')}\n"
        f"    prompt: {_w('The situation the slider asks about, in one sentence.')}\n"
        f"    module: {module_id}\n"
        "    min: 0\n"
        "    max: 10\n"
        f"    low_label: {_w('The controlling end, in the first person.')}\n"
        f"    high_label: {_w('The autonomy-supporting end, in the first person.')}\n"
        "    anchors:\n"
        f"      0: {_w('What the low end looks like in practice.')}\n"
        f"      5: {_w('What the middle looks like.')}\n"
        f"      10: {_w('What the high end looks like.')}\n"
    )


def prompt_yaml(module_id: str) -> str:
    return (
        f"# The closing reflection of the module '{module_id}'.\n"
        "prompts:\n"
        f"  - id: {module_id}-closing\n"
        f"    module: {module_id}\n"
        f"    text: {_w('A question for a few words of private reflection.')}\n"
        "    max_length: 280\n"
    )


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def new_module(
    data: Path, workshops: Path, module_id: str, title: str, after: str | None, kind: str
) -> list[Path]:
    """Add the module's files to ``data`` and make every notebook in ``workshops`` again.
    Returns the files written."""
    from .notebooks import sync_notebooks

    if not ID_PATTERN.match(module_id):
        raise NewModuleError(
            "the id must be lowercase letters, digits and hyphens, such as 'hope', "
            f"not {module_id!r}"
        )
    if kind not in MODULE_KINDS or kind in ("opening", "closing"):
        raise NewModuleError("--kind must be principle or extension")
    content = load_content(data, unwritten_ok=True)  # another new module may be half written
    if module_id in content.modules:
        raise NewModuleError(f"there is already a module '{module_id}'")
    ordered = content.ordered_modules()
    if after is None:  # before the closing session, if there is one
        before_close = [m for m in ordered if m.kind != "closing"]
        after = before_close[-1].id if before_close else ordered[-1].id
    if after not in content.modules:
        raise NewModuleError(
            f"--after: there is no module '{after}'; the modules are {', '.join(content.modules)}"
        )
    order = content.modules[after].order + 1
    targets = {
        data / "scenarios" / f"{module_id}.yaml": scenarios_yaml(module_id, 3),
        data / "scales" / f"{module_id}.yaml": scale_yaml(module_id),
        data / "prompts" / f"{module_id}.yaml": prompt_yaml(module_id),
    }
    taken = [p for p in targets if p.exists()]
    if taken:
        raise NewModuleError(f"{taken[0]} already exists")
    _make_room(content, order)
    module_file = data / "modules" / f"{order:02d}-{module_id}.yaml"
    targets[module_file] = module_yaml(module_id, title, kind, order)
    for path, text in targets.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    content = load_content(data, unwritten_ok=True)
    sync_notebooks(content, workshops, write=True)
    from .notebooks import notebook_name

    return [
        module_file,
        *list(targets)[:3],
        workshops / notebook_name(content, content.modules[module_id]),
    ]


def _make_room(content: Content, order: int) -> None:
    """Make ``order`` free: when a module has it, move that module and every later one one place
    on (its 'order' line, and the number its file name starts with). A gap is simply used."""
    if all(m.order != order for m in content.modules.values()):
        return
    for module in sorted(content.ordered_modules(), key=lambda m: -m.order):
        if module.order < order:
            continue
        path = next(
            p
            for p in (content.root / "modules").glob("*.y*ml")
            if re.search(rf"^id:\s*['\"]?{re.escape(module.id)}['\"]?\s*$", p.read_text(), re.M)
        )
        text = re.sub(
            r"^order:\s*\d+", f"order: {module.order + 1}", path.read_text(), count=1, flags=re.M
        )
        path.write_text(text, encoding="utf-8")
        if re.match(r"\d+-", path.name):
            path.rename(path.with_name(f"{module.order + 1:02d}-{path.name.split('-', 1)[1]}"))
