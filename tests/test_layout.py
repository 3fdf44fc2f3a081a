"""How the package hangs together: no import cycles among the session modules, and the
environment read in one place (peerkit/config.py)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "peerkit"
#: Modules that must not sit on an import cycle (function-level imports count too).
SESSION_MODULES = {
    "peerkit.client",
    "peerkit.config",
    "peerkit.rehearsal",
    "peerkit.report",
    "peerkit.resume",
    "peerkit.room",
    "peerkit.sessions",
    "peerkit.solo",
    "peerkit.workshop",
}


def module_name(path: Path, package: Path = PACKAGE) -> str:
    parts = path.relative_to(package.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph(package: Path = PACKAGE) -> dict[str, set[str]]:
    """Each peerkit module and the peerkit modules it imports, anywhere in its code."""
    files = {module_name(f, package): f for f in package.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in files.items():
        here = name if path.name == "__init__.py" else name.rpartition(".")[0]
        deps: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    base = here.split(".")[: len(here.split(".")) - node.level + 1]
                    target = ".".join([*base, *([node.module] if node.module else [])])
                else:
                    target = node.module or ""
                for alias in node.names:
                    full = f"{target}.{alias.name}"
                    deps.add(full if full in files else target)
            elif isinstance(node, ast.Import):
                deps.update(alias.name for alias in node.names)
        graph[name] = {d for d in deps if d in files and d != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[set[str]]:
    """The groups of modules that import each other, directly or round a loop."""

    def reach(start: str) -> set[str]:
        seen, todo = set(), [start]
        while todo:
            for nxt in graph[todo.pop()]:
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return seen

    reachable = {name: reach(name) for name in graph}
    groups: list[set[str]] = []
    for name in graph:
        group = {name} | {o for o in reachable[name] if name in reachable[o]}
        if len(group) > 1 and group not in groups:
            groups.append(group)
    return groups


def test_no_session_module_sits_on_an_import_cycle() -> None:
    found = [group for group in cycles(import_graph()) if group & SESSION_MODULES]
    assert found == []


def test_the_cycle_check_finds_a_cycle(tmp_path: Path) -> None:
    package = tmp_path / "peerkit"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "client.py").write_text("def connect():\n    from .rehearsal import R\n")
    (package / "rehearsal.py").write_text("from .client import connect\nR = 1\n")
    assert cycles(import_graph(package)) == [{"peerkit.client", "peerkit.rehearsal"}]


def environment_reads(path: Path) -> list[int]:
    """Lines of ``path`` that read ``os.environ`` or call ``os.getenv``."""
    lines = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            if node.value.id == "os" and node.attr in ("environ", "getenv"):
                lines.append(node.lineno)
    return lines


def test_only_config_reads_the_environment() -> None:
    reads = {
        str(path.relative_to(PACKAGE.parent)): environment_reads(path)
        for path in PACKAGE.rglob("*.py")
        if path.name != "config.py"
    }
    # peerkit lab hands its whole environment on to the processes it starts, as it is.
    lab = reads.pop("peerkit/lab.py")
    assert len(lab) == 1
    assert {name: lines for name, lines in reads.items() if lines} == {}
    assert environment_reads(PACKAGE / "config.py")
