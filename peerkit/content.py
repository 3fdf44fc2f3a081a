"""Read the workshop content in ``data/`` into model objects, with line-numbered errors.

Every problem names its file, line and field, e.g.
``data/scenarios/rescuer.yaml:14: scenario 'housing-call', option 'c': missing 'text'``.
All problems of every file are collected and raised together as one :class:`ContentError`.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .flagging import STEMMERS, base_language, find_terms
from .i18n import (
    DEFAULT_LANGUAGE,
    UnknownLanguageError,
    _,
    check_language,
    format_number,
    languages,
    ngettext,
)
from .model import (
    DEFAULT_TEXT_LIMIT,
    ID_PATTERN,
    STANCES,
    ChoiceQuestion,
    ModelError,
    Option,
    Question,
    ScaleQuestion,
    TextQuestion,
)

__all__ = [
    "Content",
    "ContentError",
    "Module",
    "Problem",
    "Prompt",
    "Resource",
    "Safety",
    "Scale",
    "Scenario",
    "default_data_dir",
    "load_content",
    "validate_path",
]

KINDS = ("modules", "scenarios", "scales", "prompts")

#: What text the ``peerkit new-module`` command writes for an educator to replace. Validation
#: refuses text that still starts with it, so an unwritten scenario never reaches a notebook.
TO_WRITE = "(to write)"


@dataclass(frozen=True)
class Needs:
    """What a module of one kind must have for its notebook to run (``data/README.md``)."""

    scenarios: int = 0
    slider: bool = False
    prompts: int = 0
    in_day: bool = True  # False: an optional session, listed apart in the day's plan


#: Each kind of module and what its notebook shows: ``peerkit/notebooks.py`` builds each
#: kind's notebook from these same numbers.
MODULE_KINDS: dict[str, Needs] = {
    "opening": Needs(scenarios=1, prompts=1),
    "principle": Needs(scenarios=3, slider=True, prompts=1),
    "extension": Needs(scenarios=3, slider=True, prompts=1, in_day=False),
    "closing": Needs(prompts=3),
}


# --------------------------------------------------------------------------- problems


@dataclass(frozen=True)
class Problem:
    path: str
    line: int
    message: str

    def __str__(self) -> str:
        if self.line < 1:  # a whole file, or a notebook (whose cells are counted instead)
            return f"{self.path}: {self.message}"
        return f"{self.path}:{self.line}: {self.message}"


class ContentError(ValueError):
    """One or more problems in the content files, each with file and line."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = sorted(problems, key=lambda p: (p.path, p.line))
        super().__init__("\n".join(str(p) for p in self.problems))


# --------------------------------------------------------------------------- YAML with lines


class _Map(dict):
    """A YAML mapping that remembers the line of itself and of each key."""

    line: int
    lines: dict
    duplicates: list

    def line_of(self, key: str) -> int:
        return self.lines.get(key, self.line)


class _Seq(list):
    line: int
    lines: list


class _Loader(yaml.SafeLoader):
    pass


class _BadKey(str):
    """Stands in for a key YAML allows but a content file must not have (a list, a number ...)."""


def _construct_map(loader: _Loader, node: yaml.MappingNode) -> _Map:
    loader.flatten_mapping(node)
    result = _Map()
    result.line = node.start_mark.line + 1
    result.lines = {}
    result.duplicates = []
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if isinstance(key, bool) or not isinstance(key, (str, int, float)):
            key = _BadKey(repr(key))
        line = key_node.start_mark.line + 1
        if key in result.lines:
            result.duplicates.append((key, line))
        result[key] = loader.construct_object(value_node, deep=True)
        result.lines[key] = line
    return result


def _construct_seq(loader: _Loader, node: yaml.SequenceNode) -> _Seq:
    result = _Seq(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    result.lines = [child.start_mark.line + 1 for child in node.value]
    return result


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_map)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_seq)


# --------------------------------------------------------------------------- records


@dataclass(frozen=True)
class Module:
    id: str
    order: int
    kind: str
    title: str
    summary: str
    objectives: tuple[str, ...]
    timing: tuple[tuple[str, int], ...]
    discussion: tuple[str, ...]
    recap: str = ""

    @property
    def needs(self) -> Needs:
        return MODULE_KINDS[self.kind]

    @property
    def minutes(self) -> int:
        return sum(minutes for _, minutes in self.timing)


@dataclass(frozen=True)
class Scenario:
    module: str
    question: ChoiceQuestion
    #: Where it happens, as a short tag ("inpatient-ward", "online-peer-support").
    setting: str = ""
    #: A real dilemma: thoughtful peer supporters disagree, so no option is the best one.
    dilemma: bool = False
    room_questions: tuple[str, ...] = ()
    facilitator_note: str = ""

    @property
    def id(self) -> str:
        return self.question.id


@dataclass(frozen=True)
class Scale:
    question: ScaleQuestion
    module: str | None = None
    pre_post: bool = False

    @property
    def id(self) -> str:
        return self.question.id


@dataclass(frozen=True)
class Prompt:
    question: TextQuestion
    module: str | None = None

    @property
    def id(self) -> str:
        return self.question.id


@dataclass(frozen=True)
class Resource:
    name: str
    contact: str
    note: str = ""


@dataclass(frozen=True)
class Safety:
    """The flag terms and support resources of one language, from ``safety.yaml`` (English) or
    ``safety.<language>.yaml``; the folder's lists in other languages are in ``others``.

    ``Content.safety`` is the English list, with the others attached: a reflection in a room is
    checked against the room's language and English (:meth:`flags`), and the room is shown the
    support resources of its language (:meth:`resources_for`).
    """

    flag_terms: tuple[str, ...] = ()
    resources: tuple[Resource, ...] = ()
    resources_note: str = ""
    language: str = "en"
    #: The same for the folder's other languages (``safety.es.yaml`` ...).
    others: tuple[Safety, ...] = ()

    @property
    def languages(self) -> tuple[str, ...]:
        """The languages with a list, this one first."""
        return (self.language, *(other.language for other in self.others))

    def for_language(self, language: str | None) -> Safety | None:
        """The list written in ``language`` ("es", "es-ES"), or None when there is none."""
        code = base_language(language)
        for entry in (self, *self.others):
            if entry.language == code:
                return entry
        return None

    def flags(self, text: str, language: str | None = "en") -> list[str]:
        """The flag terms whose phrase occurs in ``text``, however it is typed: those of the
        room's ``language`` and, in a room in another language, the English ones too (people
        switch languages, and English crisis wording is common online).

        Case, accents, apostrophes (straight, curly or none), hyphens, word endings ("ending",
        "ended"; "quiero", "quería") and, in English, "wanna" and "any more" are all ignored:
        see :mod:`peerkit.flagging`.
        """
        found: list[str] = []
        for code in dict.fromkeys((language or "en", "en")):
            entry = self.for_language(code)
            if entry is not None:
                own = (entry.flag_terms, entry.language)
                found += [t for t in find_terms(text, *own) if t not in found]
        return found

    def resources_for(self, language: str | None = "en") -> tuple[Resource, ...]:
        """The support resources to show a room in ``language``: its own list's, else the
        English ones."""
        entry = self.for_language(language)
        return entry.resources if entry is not None and entry.resources else self.resources


@dataclass(frozen=True)
class Examples:
    """Illustrative group distributions for solo mode (never real participants' answers)."""

    note: str = ""
    choices: dict[str, dict[str, int]] = field(default_factory=dict)
    scales: dict[str, tuple[float, ...]] = field(default_factory=dict)
    reflections: dict[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Notes:
    """Text that more than one notebook uses, written once in ``data/notes.yaml``: notes for
    the facilitator (shown by ``ws.note(name)``) and text for participants (written into the
    notebooks by ``peerkit notebooks``)."""

    facilitator: dict[str, str] = field(default_factory=dict)
    participants: dict[str, str] = field(default_factory=dict)


@dataclass
class Content:
    """Everything in a ``data/`` folder, checked and cross-referenced."""

    root: Path
    modules: dict[str, Module] = field(default_factory=dict)
    scenarios: dict[str, Scenario] = field(default_factory=dict)
    scales: dict[str, Scale] = field(default_factory=dict)
    prompts: dict[str, Prompt] = field(default_factory=dict)
    safety: Safety = field(default_factory=Safety)
    examples: Examples = field(default_factory=Examples)
    notes: Notes = field(default_factory=lambda: Notes())
    #: The language the content is written in (its files' ``language:``; English if none says).
    language: str = DEFAULT_LANGUAGE

    def module(self, module_id: str) -> Module:
        try:
            return self.modules[module_id]
        except KeyError:
            raise KeyError(
                f"no module {module_id!r}; the modules are {', '.join(self.modules)}"
            ) from None

    def ordered_modules(self) -> list[Module]:
        return sorted(self.modules.values(), key=lambda m: m.order)

    def position(self, module_id: str) -> int:
        """The module's place in the day, counting from 0: the number its notebook starts with."""
        return [m.id for m in self.ordered_modules()].index(module_id)

    def next_module(self, module_id: str) -> Module | None:
        ordered = self.ordered_modules()
        index = self.position(module_id) + 1
        return ordered[index] if index < len(ordered) else None

    def scenarios_for(self, module_id: str) -> list[Scenario]:
        return [s for s in self.scenarios.values() if s.module == module_id]

    def scales_for(self, module_id: str) -> list[Scale]:
        return [s for s in self.scales.values() if s.module == module_id]

    def prompts_for(self, module_id: str) -> list[Prompt]:
        return [p for p in self.prompts.values() if p.module == module_id]

    @property
    def pre_post_scale(self) -> Scale:
        for scale in self.scales.values():
            if scale.pre_post:
                return scale
        raise KeyError("no scale is marked pre_post: true")

    def question(self, content_id: str) -> Question:
        """The scenario, scale or prompt with this id."""
        for table in (self.scenarios, self.scales, self.prompts):
            if content_id in table:
                return table[content_id].question
        raise KeyError(f"no scenario, scale or prompt has the id {content_id!r}")

    def summary(self) -> str:
        """How much content there is, in words (``peerkit validate`` prints it)."""
        modules, scenarios = len(self.modules), len(self.scenarios)
        scales, prompts = len(self.scales), len(self.prompts)
        return _("{modules}, {scenarios}, {scales}, {prompts}").format(
            modules=ngettext("{count} module", "{count} modules", modules).format(
                count=format_number(modules)
            ),
            scenarios=ngettext("{count} scenario", "{count} scenarios", scenarios).format(
                count=format_number(scenarios)
            ),
            scales=ngettext("{count} scale", "{count} scales", scales).format(
                count=format_number(scales)
            ),
            prompts=ngettext("{count} prompt", "{count} prompts", prompts).format(
                count=format_number(prompts)
            ),
        )


# --------------------------------------------------------------------------- checking


class _File:
    """Problems found in one file, and helpers that find them."""

    def __init__(self, path: Path, display: str, *, unwritten_ok: bool = False) -> None:
        self.path = path
        self.display = display
        self.problems: list[Problem] = []
        self.unwritten_ok = unwritten_ok
        #: The file's own ``language:`` (checked) and its line, once read.
        self.language: str | None = None
        self.language_line = 1

    def add(self, line: int, message: str) -> None:
        self.problems.append(Problem(self.display, line, message))

    def parse(self) -> Any:
        try:
            text = self.path.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            self.add(1, f"not UTF-8 text ({exc.reason} at byte {exc.start})")
            return None
        if not self.unwritten_ok:
            for number, line in enumerate(text.splitlines(), 1):
                if TO_WRITE in line and not line.lstrip().startswith("#"):
                    what = line.split(TO_WRITE, 1)[1].strip().rstrip('"').strip()
                    self.add(number, f"still to write (peerkit new-module left this): {what}")
        try:
            return yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader is a SafeLoader
        except yaml.MarkedYAMLError as exc:
            self.add(*_yaml_problem(exc, text.splitlines()))
            return None
        except yaml.YAMLError as exc:
            self.add(1, f"this is not valid YAML: {exc}")
            return None

    def fields(
        self, data: Any, line: int, where: str, spec: dict[str, tuple[bool, str]]
    ) -> dict | None:
        """Check a mapping against ``spec`` (key -> (required, type)); None if anything is wrong."""
        prefix = f"{where}: " if where else ""
        if not isinstance(data, _Map):
            line = getattr(data, "line", line)
            self.add(line, f"{prefix}expected a mapping of keys to values, got {_kind(data)}")
            return None
        before = len(self.problems)
        for key, key_line in data.duplicates:
            self.add(key_line, f"{prefix}'{key}' appears twice")
        misspelt: set[str] = set()
        for key in data:
            if isinstance(key, _BadKey):
                self.add(data.line_of(key), f"{prefix}keys must be words, not {key}")
            elif not isinstance(key, str) or key not in spec:
                absent = [k for k in spec if k not in data]
                close = difflib.get_close_matches(str(key), absent, n=1, cutoff=0.75)
                if close:  # a typo: one problem, not also "missing" for the key meant
                    misspelt.add(close[0])
                    self.add(
                        data.line_of(key),
                        f"{prefix}unknown key '{key}': did you mean '{close[0]}'?",
                    )
                else:
                    self.add(
                        data.line_of(key),
                        f"{prefix}unknown key '{key}' (expected {_listing(spec)})",
                    )
        values = {}
        for key, (required, type_name) in spec.items():
            if key not in data or data[key] is None:
                if required and key not in misspelt:
                    self.add(data.line, f"{prefix}missing '{key}'{_HINTS.get(key, '')}")
                continue
            value = data[key]
            problem = _TYPE_CHECKS[type_name](value)
            if problem:
                self.add(data.line_of(key), f"{prefix}'{key}' {problem}")
            else:
                values[key] = value
        return values if len(self.problems) == before else None

    def model(
        self,
        factory: Callable[..., Any],
        data: _Map,
        where: str,
        renames: dict[str, str] | None = None,
        **fields: Any,
    ) -> Any:
        """``factory(**fields)``; a :class:`ModelError` becomes a problem on the field's line.

        ``renames`` maps a model field to the YAML key it came from, where the two differ.
        """
        try:
            return factory(**fields)
        except ModelError as exc:
            key = (renames or {}).get(exc.field, exc.field)
            self.add(data.line_of(key), f"{where}: {exc.message}")
            return None


def _yaml_problem(exc: yaml.MarkedYAMLError, lines: list[str]) -> tuple[int, str]:
    """A YAML syntax error in plain words, at the line an educator has to change."""
    problem = exc.problem or ""
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + 1 if mark else 1
    source = lines[mark.line] if mark and mark.line < len(lines) else ""
    if "'\\t'" in problem:
        return line, (
            "a tab is used here; YAML indents with spaces only, so replace the tab with spaces"
        )
    if problem.startswith("mapping values are not allowed"):
        before = source[: mark.column] if mark else ""
        if re.fullmatch(r"\s*(- )?[\w-]+", before):
            return line, (
                "indentation: this line is indented further than the keys above it; "
                "keys of the same item must start in the same column"
            )
        return line, (
            "a colon inside unquoted text: a colon followed by a space starts a new key, so put "
            'the whole text in double quotes ("...") or start it on the next line after >'
        )
    if problem.startswith("expected <block end>") or "expected <block mapping" in problem:
        return line, (
            "indentation: this line does not line up with the lines above it; items of one "
            "list, and keys of one item, must start in the same column"
        )
    if "could not find expected ':'" in problem and exc.context_mark:
        line = exc.context_mark.line + 1
        return line, (
            "indentation: this line is neither 'key: value' nor indented as part of the text "
            "above it; the lines of a text after > must all be indented past its key"
        )
    if "quoted scalar" in (exc.context or "") and exc.context_mark:
        return exc.context_mark.line + 1, (
            "a quote opens here and is never closed; end the text with the same quote mark"
        )
    what = " ".join(filter(None, [exc.context, exc.problem]))
    return line, f"this is not valid YAML: {what}"


def _flow(text: str) -> str:
    """Folded YAML text as one paragraph: runs of whitespace become single spaces."""
    return " ".join(text.split())


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    return {
        _Map: "a mapping",
        _Seq: "a list",
        str: "text",
        bool: "true/false",
        int: "a whole number",
        float: "a number",
    }.get(type(value), type(value).__name__)


def _listing(spec: dict) -> str:
    return ", ".join(f"'{key}'" for key in spec)


def _text(value: Any) -> str | None:
    if not isinstance(value, str):
        return f"must be text, got {_kind(value)}"
    if not value.strip():
        return "must not be empty"
    return None


def _integer(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return f"must be a whole number, got {_kind(value)}"
    return None


#: The largest number a content file may use; anything bigger is a typo, and very large
#: integers cannot even be shown as decimals.
MAX_NUMBER = 1e9


def _shown(value: Any, limit: int = 40) -> str:
    """A value as it reads in an error message, cut short (a huge number, a long line)."""
    try:
        text = repr(value)
    except ValueError:  # an integer with more digits than Python will print
        return "a very large number"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _number(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return f"must be a number, got {_kind(value)}"
    if not -MAX_NUMBER <= value <= MAX_NUMBER:  # also false for NaN
        return "must be a number from -1,000,000,000 to 1,000,000,000"
    return None


def _boolean(value: Any) -> str | None:
    return None if isinstance(value, bool) else f"must be true or false, got {_kind(value)}"


def _ident(value: Any) -> str | None:
    if not isinstance(value, str) or not ID_PATTERN.match(value):
        return f"must be an id of lowercase letters, digits and hyphens, got {value!r}"
    return None


def _text_list(value: Any) -> str | None:
    if not isinstance(value, list) or not value:
        return f"must be a list of text with at least one item, got {_kind(value)}"
    for index, item in enumerate(value, 1):
        if _text(item):
            return f"item {index} {_text(item)}"
    return None


def _list(value: Any) -> str | None:
    if not isinstance(value, list) or not value:
        return f"must be a list with at least one item, got {_kind(value)}"
    return None


def _mapping(value: Any) -> str | None:
    return None if isinstance(value, dict) else f"must be a mapping, got {_kind(value)}"


#: What to add, for the keys an educator most often leaves out.
_HINTS = {
    "stance": " (the debrief shows each option's stance: add 'stance:' with one of "
    + ", ".join(STANCES)
    + ")",
    "options": " (add 'options:' with two to six responses, each with 'id', 'text' and 'stance')",
}

_TYPE_CHECKS: dict[str, Callable[[Any], str | None]] = {
    "text": _text,
    "integer": _integer,
    "number": _number,
    "boolean": _boolean,
    "id": _ident,
    "texts": _text_list,
    "list": _list,
    "mapping": _mapping,
}

_MODULE = {
    "id": (True, "id"),
    "order": (True, "integer"),
    "kind": (True, "text"),
    "title": (True, "text"),
    "summary": (True, "text"),
    "objectives": (True, "texts"),
    "timing": (True, "list"),
    "discussion": (True, "texts"),
    "recap": (False, "text"),
}
_SEGMENT = {"segment": (True, "text"), "minutes": (True, "integer")}
_SCENARIO_FILE = {
    "module": (True, "id"),
    "scenarios": (True, "list"),
}
_SCENARIO = {
    "id": (True, "id"),
    "title": (True, "text"),
    "vignette": (True, "text"),
    "question": (True, "text"),
    "options": (True, "list"),
    "debrief": (False, "text"),
    "setting": (False, "id"),
    "dilemma": (False, "boolean"),
    "room_questions": (False, "texts"),
    "facilitator_note": (False, "text"),
}
_OPTION = {
    "id": (True, "id"),
    "text": (True, "text"),
    "stance": (False, "text"),
    "position": (False, "number"),
    "debrief": (False, "text"),
}
_SCALE_FILE = {"scales": (True, "list")}
_SCALE = {
    "id": (True, "id"),
    "title": (True, "text"),
    "prompt": (True, "text"),
    "module": (False, "id"),
    "pre_post": (False, "boolean"),
    "min": (True, "number"),
    "max": (True, "number"),
    "step": (False, "number"),
    "low_label": (True, "text"),
    "high_label": (True, "text"),
    "anchors": (True, "mapping"),
    "note": (False, "text"),
}
_PROMPT_FILE = {"prompts": (True, "list")}
_PROMPT = {
    "id": (True, "id"),
    "module": (False, "id"),
    "text": (True, "text"),
    "max_length": (False, "integer"),
}
_SAFETY = {
    "flag_terms": (True, "texts"),
    "resources": (True, "list"),
    "resources_note": (False, "text"),
}
_RESOURCE = {"name": (True, "text"), "contact": (True, "text"), "note": (False, "text")}
_NOTES = {
    "facilitator": (True, "mapping"),
    "participants": (True, "mapping"),
}
_EXAMPLES = {
    "note": (True, "text"),
    "choices": (False, "mapping"),
    "scales": (False, "mapping"),
    "reflections": (False, "mapping"),
}


def _items(seq: _Seq) -> Iterable[tuple[int, Any]]:
    """(line, item) for each item of a YAML list."""
    return zip(seq.lines, seq, strict=True)


# --------------------------------------------------------------------------- one file per kind


@dataclass
class _Found:
    """Records read from files, each with where it came from, before cross-checking."""

    modules: list[tuple[Module, str, int]] = field(default_factory=list)
    scenarios: list[tuple[Scenario, str, int]] = field(default_factory=list)
    scales: list[tuple[Scale, str, int]] = field(default_factory=list)
    prompts: list[tuple[Prompt, str, int]] = field(default_factory=list)
    #: Each safety list read, with its file.
    safety: list[tuple[Safety, str]] = field(default_factory=list)
    examples: tuple[Examples, str, _Map] | None = None
    notes: Notes | None = None
    #: Every id a file declares, even in a record with problems of its own, so that one bad
    #: key is not followed by "does not exist" wherever the id is used, and so that duplicate
    #: ids are found among broken records too: kind -> [(id, path, line)].
    ids: dict[str, list[tuple[str, str, int]]] = field(
        default_factory=lambda: {"module": [], "scenario": [], "scale": [], "prompt": []}
    )
    #: (module id, path, line of 'kind') for every module whose kind is known.
    kinds: list[tuple[str, str, str, int]] = field(default_factory=list)
    #: path -> the module a scenario file names, for counting scenarios that have problems.
    scenario_files: dict[str, tuple[str, int]] = field(default_factory=dict)
    #: (language, path, line) for every file that says which language it is written in.
    languages: list[tuple[str, str, int]] = field(default_factory=list)

    def declare(self, kind: str, file: _File, item: Any, key: str = "id") -> None:
        """Note the id of a record (read or not), if it has a well-formed one."""
        if isinstance(item, _Map) and _ident(item.get(key)) is None:
            self.ids[kind].append((item[key], file.display, item.line_of(key)))


def _read_language(file: _File, data: Any, found: _Found, *, folder: bool) -> None:
    """Take a file's top-level ``language:`` out of ``data`` (any kind of file may have one)
    and keep it, checked, on ``file``; with ``folder`` it also names the folder's language
    (a safety list in another language does not)."""
    if not isinstance(data, _Map) or "language" not in data:
        return
    line = file.language_line = data.line_of("language")
    value = data.pop("language")
    problem = _text(value)
    try:
        if problem is None:
            file.language = check_language(value)
            if folder:
                found.languages.append((file.language, file.display, line))
            return
    except UnknownLanguageError:
        problem = f"must be one of {', '.join(languages())}, got {_shown(value)}"
    file.add(line, f"'language' {problem}")


def _check_languages(found: _Found, add: Callable[[str, int, str], None]) -> None:
    """Every file that names a language names the same one."""
    if not found.languages:
        return
    first, first_path, first_line = found.languages[0]
    for language, path, line in found.languages[1:]:
        if language != first:
            add(
                path,
                line,
                f"'language' is {language!r}, but {first_path}:{first_line} says {first!r}: "
                "the files of one data folder are written in one language",
            )


def _read_module(file: _File, data: Any, found: _Found) -> None:
    found.declare("module", file, data)
    kind = data.get("kind") if isinstance(data, _Map) else None
    kind_ok = isinstance(kind, str) and kind in MODULE_KINDS
    if kind_ok and not _ident(data.get("id")):
        found.kinds.append((data["id"], kind, file.display, data.line_of("kind")))
    values = file.fields(data, 1, "", _MODULE)
    if isinstance(kind, str) and not kind_ok:  # said even when other keys have problems
        close = difflib.get_close_matches(kind, MODULE_KINDS, n=1)
        file.add(
            data.line_of("kind"),
            f"'kind' must be one of {', '.join(MODULE_KINDS)}, got {kind!r}"
            + (f": did you mean '{close[0]}'?" if close else ""),
        )
    if values is None:
        return
    ok = kind_ok
    if not 2 <= len(values["objectives"]) <= 6:
        file.add(
            data.line_of("objectives"),
            f"'objectives' needs 2 to 6 items, got {len(values['objectives'])}",
        )
        ok = False
    timing = []
    for line, segment in _items(values["timing"]):
        seg = file.fields(segment, line, f"timing item {len(timing) + 1}", _SEGMENT)
        if seg is None:
            ok = False
            continue
        if not 1 <= seg["minutes"] <= 240:
            file.add(
                segment.line_of("minutes"), f"timing '{seg['segment']}': 'minutes' must be 1 to 240"
            )
            ok = False
        timing.append((seg["segment"].strip(), seg["minutes"]))
    if ok:
        module = Module(
            id=values["id"],
            order=values["order"],
            kind=values["kind"],
            title=values["title"].strip(),
            summary=values["summary"].strip(),
            objectives=tuple(o.strip() for o in values["objectives"]),
            timing=tuple(timing),
            discussion=tuple(d.strip() for d in values["discussion"]),
            recap=_flow(values.get("recap", "")),
        )
        found.modules.append((module, file.display, data.line_of("id")))


def _read_scenarios(file: _File, data: Any, found: _Found) -> None:
    if isinstance(data, _Map) and _ident(data.get("module")) is None:
        found.scenario_files[file.display] = (data["module"], data.line_of("module"))
    top = file.fields(data, 1, "", _SCENARIO_FILE)
    if top is None:
        return
    for line, item in _items(top["scenarios"]):
        found.declare("scenario", file, item)
        name = item.get("id") if isinstance(item, _Map) else None
        where = f"scenario '{name}'" if isinstance(name, str) else f"scenario at line {line}"
        values = file.fields(item, line, where, _SCENARIO)
        raw_options = item.get("options") if isinstance(item, _Map) else None
        options, stances = (
            _read_options(file, raw_options, where)
            if isinstance(raw_options, _Seq)
            else (None, False)
        )
        if values is None or options is None:
            continue
        question = file.model(
            ChoiceQuestion,
            item,
            where,
            {"prompt": "question"},
            id=values["id"],
            prompt=values["question"],
            options=tuple(options),
            title=values["title"].strip(),
            vignette=_flow(values["vignette"]),
            debrief=_flow(values.get("debrief", "")),
        )
        if values.get("dilemma") and not values.get("debrief", "").strip():
            file.add(
                item.line_of("dilemma"),
                f"{where}: a dilemma needs a 'debrief' that weighs the trade-off",
            )
            continue
        if question is not None and stances:
            scenario = Scenario(
                top["module"],
                question,
                setting=values.get("setting", ""),
                dilemma=values.get("dilemma", False),
                room_questions=tuple(_flow(q) for q in values.get("room_questions", ())),
                facilitator_note=_flow(values.get("facilitator_note", "")),
            )
            found.scenarios.append((scenario, file.display, item.line_of("id")))


def _read_options(file: _File, raw: _Seq, where: str) -> tuple[list[Option] | None, bool]:
    """The options of one scenario (None when any of them is wrong), and whether each has a
    stance. An option without a stance is still read, so the scenario's other checks run."""
    options: list[Option] = []
    broken = False
    stances = True
    for line, opt in _items(raw):
        name = opt.get("id") if isinstance(opt, _Map) else None
        opt_where = (
            f"{where}, option '{name}'"
            if isinstance(name, str)
            else f"{where}, option at line {line}"
        )
        values = file.fields(opt, line, opt_where, _OPTION)
        if values is not None and "stance" not in values:
            file.add(opt.line, f"{opt_where}: missing 'stance'{_HINTS['stance']}")
            stances = False
        option = values and file.model(
            Option,
            opt,
            opt_where,
            id=values["id"],
            text=_flow(values["text"]),
            stance=values.get("stance"),
            position=values.get("position"),
            debrief=_flow(values.get("debrief", "")),
        )
        if option:
            options.append(option)
        else:
            broken = True
    return (None if broken else options), stances


def _read_scales(file: _File, data: Any, found: _Found) -> None:
    top = file.fields(data, 1, "", _SCALE_FILE)
    if top is None:
        return
    for line, item in _items(top["scales"]):
        found.declare("scale", file, item)
        name = item.get("id") if isinstance(item, _Map) else None
        where = f"scale '{name}'" if isinstance(name, str) else f"scale at line {line}"
        values = file.fields(item, line, where, _SCALE)
        if values is None:
            continue
        anchors = values["anchors"]
        bad = [key for key in anchors if _number(key) is not None or _text(anchors[key])]
        for key in bad:
            file.add(
                anchors.line_of(key),
                f"{where}: anchor {_shown(key)} needs a number and a descriptor",
            )
        if bad:
            continue
        for end in ("min", "max"):
            if values[end] not in anchors:
                file.add(
                    item.line_of("anchors"),
                    f"{where}: 'anchors' must describe the {end} point {values[end]:g}",
                )
                bad.append(end)
        if bad:
            continue
        question = file.model(
            ScaleQuestion,
            item,
            where,
            id=values["id"],
            prompt=_flow(values["prompt"]),
            low_label=values["low_label"],
            high_label=values["high_label"],
            min=values["min"],
            max=values["max"],
            step=values.get("step", 1),
            anchors=tuple((key, _flow(label)) for key, label in anchors.items()),
            title=values["title"].strip(),
            note=_flow(values.get("note", "")),
        )
        if question is not None:
            scale = Scale(question, values.get("module"), values.get("pre_post", False))
            found.scales.append((scale, file.display, item.line_of("id")))


def _read_prompts(file: _File, data: Any, found: _Found) -> None:
    top = file.fields(data, 1, "", _PROMPT_FILE)
    if top is None:
        return
    for line, item in _items(top["prompts"]):
        found.declare("prompt", file, item)
        name = item.get("id") if isinstance(item, _Map) else None
        where = f"prompt '{name}'" if isinstance(name, str) else f"prompt at line {line}"
        values = file.fields(item, line, where, _PROMPT)
        if values is None:
            continue
        question = file.model(
            TextQuestion,
            item,
            where,
            {"prompt": "text"},
            id=values["id"],
            prompt=_flow(values["text"]),
            max_length=values.get("max_length", DEFAULT_TEXT_LIMIT),
        )
        if question is not None:
            found.prompts.append(
                (Prompt(question, values.get("module")), file.display, item.line_of("id"))
            )


def _read_safety(file: _File, data: Any, found: _Found) -> None:
    values = file.fields(data, 1, "", _SAFETY)
    if values is None:
        return
    resources = []
    for line, item in _items(values["resources"]):
        rv = file.fields(item, line, f"resource at line {line}", _RESOURCE)
        if rv is not None:
            resources.append(
                Resource(rv["name"].strip(), rv["contact"].strip(), rv.get("note", "").strip())
            )
    language = base_language(file.language)
    named = _safety_language(file.path)
    if language not in STEMMERS:
        file.add(
            file.language_line,
            f"flag terms cannot be matched in language '{language}' yet: there is no word "
            f"stemmer for it (flag terms can be written in {', '.join(sorted(STEMMERS))})",
        )
        return
    if named is not None and named != language:
        said = f"'language' is '{language}'" if file.language else "it has no 'language'"
        file.add(
            file.language_line,
            f"the file's name says its terms are in '{named}', but {said}: "
            f"add 'language: {named}', or rename the file",
        )
        return
    if len(resources) == len(values["resources"]):
        safety = Safety(
            tuple(t.strip() for t in values["flag_terms"]),
            tuple(resources),
            _flow(values.get("resources_note", "")),
            language,
        )
        found.safety.append((safety, file.display))


def _safety_language(path: Path) -> str | None:
    """The language a safety file's name gives (``safety.es.yaml``: es), or None."""
    match = _SAFETY_NAME.match(path.stem)
    return match.group(1).lower() if match and match.group(1) else None


def _read_examples(file: _File, data: Any, found: _Found) -> None:
    values = file.fields(data, 1, "", _EXAMPLES)
    if values is None:
        return
    choices: dict[str, dict[str, int]] = {}
    for scenario_id, counts in values.get("choices", {}).items():
        line = values["choices"].line_of(scenario_id)
        if not isinstance(counts, dict) or any(_integer(c) or c < 0 for c in counts.values()):
            file.add(line, f"choices '{scenario_id}': expected option ids with whole-number counts")
            continue
        choices[scenario_id] = dict(counts)
    scales: dict[str, tuple[float, ...]] = {}
    for scale_id, numbers in values.get("scales", {}).items():
        line = values["scales"].line_of(scale_id)
        if not isinstance(numbers, list) or any(_number(n) for n in numbers):
            file.add(line, f"scales '{scale_id}': expected a list of numbers")
            continue
        scales[scale_id] = tuple(float(n) for n in numbers)
    reflections: dict[str, tuple[str, ...]] = {}
    for prompt_id, texts in values.get("reflections", {}).items():
        problem = _text_list(texts)
        if problem:
            file.add(
                values["reflections"].line_of(prompt_id), f"reflections '{prompt_id}' {problem}"
            )
            continue
        reflections[prompt_id] = tuple(_flow(t) for t in texts)
    found.examples = (
        Examples(_flow(values["note"]), choices, scales, reflections),
        file.display,
        data,
    )


def _read_notes(file: _File, data: Any, found: _Found) -> None:
    values = file.fields(data, 1, "", _NOTES)
    if values is None:
        return
    texts: dict[str, dict[str, str]] = {}
    for audience in ("facilitator", "participants"):
        texts[audience] = {}
        for name, text in values[audience].items():
            problem = _ident(name) or _text(text)
            if problem:
                file.add(values[audience].line_of(name), f"{audience} '{name}' {problem}")
                continue
            texts[audience][name] = text.strip()
    found.notes = Notes(texts["facilitator"], texts["participants"])


_READERS: dict[str, Callable[[_File, Any, _Found], None]] = {
    "modules": _read_module,
    "scenarios": _read_scenarios,
    "scales": _read_scales,
    "prompts": _read_prompts,
    "safety": _read_safety,
    "examples": _read_examples,
    "notes": _read_notes,
}


#: ``safety``, or ``safety.es`` for the Spanish list.
_SAFETY_NAME = re.compile(r"^safety(?:\.([A-Za-z]{2,3}))?$")


def _kind_of(path: Path, data: Any) -> str | None:
    """Which kind of content a file holds: by its folder, else by its top-level keys."""
    folder = path.parent.name
    if folder in KINDS or folder == "examples":
        return folder
    if path.stem == "notes":
        return path.stem
    if _SAFETY_NAME.match(path.stem):
        return "safety"
    if isinstance(data, dict):
        for key, kind in (
            ("scenarios", "scenarios"),
            ("scales", "scales"),
            ("prompts", "prompts"),
            ("flag_terms", "safety"),
            ("choices", "examples"),
            ("participants", "notes"),
        ):
            if key in data:
                return kind
        if "id" in data:
            return "modules"
    return None


# --------------------------------------------------------------------------- cross-checks


def _cross_check(found: _Found, add: Callable[[str, int, str], None], *, folder: bool) -> None:
    """Checks across records: unique ids always; references between files only for a folder."""
    for kind, entries in found.ids.items():
        places: dict[str, list[tuple[str, int]]] = {}
        for ident, path, line in entries:
            places.setdefault(ident, []).append((path, line))
        for ident, where in places.items():
            for path, line in where if len(where) > 1 else ():
                others = ", ".join(f"{p}:{n}" for p, n in where if (p, n) != (path, line))
                add(path, line, f"{kind} id '{ident}' is also used at {others}; ids must differ")
    languages: dict[str, str] = {}
    for safety, path in found.safety:
        if safety.language in languages:
            add(
                path,
                1,
                f"there are two safety lists in '{safety.language}' (the other is "
                f"{languages[safety.language]}); keep one file per language",
            )
        languages.setdefault(safety.language, path)
    if not folder:
        return
    module_ids = {ident for ident, _, _ in found.ids["module"]}
    orders: dict[int, str] = {}
    for module, path, line in found.modules:
        if module.order in orders:
            add(
                path,
                line,
                f"module '{module.id}': 'order' {module.order} is already taken by "
                f"'{orders[module.order]}'",
            )
        orders.setdefault(module.order, module.id)

    def check_module(ident: str | None, path: str, line: int, what: str) -> None:
        if ident is not None and ident not in module_ids:
            known = ", ".join(sorted(module_ids)) or "none"
            prefix = f"{what}: " if what else ""
            add(path, line, f"{prefix}module '{ident}' does not exist (modules: {known})")

    for path, (module_id, line) in found.scenario_files.items():
        check_module(module_id, path, line, "")
    for scale, path, line in found.scales:
        check_module(scale.module, path, line, f"scale '{scale.id}'")
    for prompt, path, line in found.prompts:
        check_module(prompt.module, path, line, f"prompt '{prompt.id}'")
    _check_needs(found, add)
    pre_post = [(s, path, line) for s, path, line in found.scales if s.pre_post]
    if found.scales and len(pre_post) != 1:
        path, line = (pre_post[1][1], pre_post[1][2]) if pre_post else (found.scales[0][1], 1)
        add(path, line, f"exactly one scale must be marked 'pre_post: true', found {len(pre_post)}")
    if found.examples:
        examples, path, data = found.examples
        scenarios = {s.id: s for s, _, _ in found.scenarios}
        scales = {s.id for s, _, _ in found.scales}
        for scenario_id, counts in examples.choices.items():
            line = data["choices"].line_of(scenario_id)
            if scenario_id not in scenarios:
                add(path, line, f"choices: there is no scenario '{scenario_id}'")
                continue
            known = set(scenarios[scenario_id].question.option_ids) | {"pass"}
            for option_id in counts:
                if option_id not in known:
                    add(
                        path,
                        line,
                        f"choices '{scenario_id}': '{option_id}' is not one of its options",
                    )
        for scale_id in examples.scales:
            if scale_id not in scales:
                add(
                    path,
                    data["scales"].line_of(scale_id),
                    f"scales: there is no scale '{scale_id}'",
                )
        prompts = {p.id for p, _, _ in found.prompts}
        for prompt_id in examples.reflections:
            if prompt_id not in prompts:
                line = data["reflections"].line_of(prompt_id)
                add(path, line, f"reflections: there is no prompt '{prompt_id}'")


def _check_needs(found: _Found, add: Callable[[str, int, str], None]) -> None:
    """Each module has what its kind's notebook shows (``MODULE_KINDS``), or says what to add."""
    for module_id, kind, path, line in found.kinds:
        needs = MODULE_KINDS[kind]
        where = f"module '{module_id}' is {'an' if kind[0] in 'aeiou' else 'a'} {kind} module"
        scenarios = sum(1 for s, _, _ in found.scenarios if s.module == module_id)
        broken = sum(
            1
            for ident, p, _ in found.ids["scenario"]
            if ident not in {s.id for s, _, _ in found.scenarios}
            and _module_of_file(found, p) == module_id
        )
        if scenarios + broken < needs.scenarios:
            missing = needs.scenarios - scenarios - broken
            add(
                path,
                line,
                f"{where}, and its notebook shows {needs.scenarios} scenario votes, but "
                f"data/scenarios/ has {scenarios + broken} for it: add {missing} more "
                f"scenario{'s' if missing != 1 else ''} to a file that starts "
                f"'module: {module_id}'",
            )
        if needs.slider and not any(s.module == module_id for s, _, _ in found.scales):
            add(
                path,
                line,
                f"{where}, and its notebook shows the module's own slider: add a scale with "
                f"'module: {module_id}' in data/scales/",
            )
        prompts = sum(1 for p, _, _ in found.prompts if p.module == module_id)
        if prompts < needs.prompts:
            add(
                path,
                line,
                f"{where}, and its notebook asks {needs.prompts} reflection "
                f"prompt{'s' if needs.prompts != 1 else ''}, but data/prompts/ has {prompts} "
                f"for it: add {'one' if needs.prompts - prompts == 1 else needs.prompts - prompts}"
                f" with 'module: {module_id}'",
            )


def _module_of_file(found: _Found, path: str) -> str | None:
    return found.scenario_files.get(path, (None, 0))[0]


# --------------------------------------------------------------------------- entry points


def default_data_dir() -> Path:
    """``$PEERKIT_DATA`` if set, else the ``data/`` folder beside the package."""
    from .config import environment

    chosen = environment().data
    return chosen if chosen is not None else _shipped_data_dir()


def _shipped_data_dir() -> Path:
    """The ``data/`` folder peerkit comes with."""
    here = Path(__file__).resolve().parent
    for candidate in (here.parent / "data", here / "data"):
        if candidate.is_dir():
            return candidate
    return here.parent / "data"


def _display(path: Path) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:
        return str(path)


def _files(root: Path) -> list[Path]:
    if root.is_file():
        return [root]
    files = [p for p in root.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file()]
    # By folder, then by name without its extension: rescuer.yaml before rescuer-extra.yaml, so
    # a file an educator adds comes after the module's own scenarios.
    return sorted(files, key=lambda p: (p.parent.parts, p.stem))


def _read(root: Path, unwritten_ok: bool = False) -> tuple[_Found, list[Problem]]:
    found = _Found()
    problems: list[Problem] = []
    if not root.exists():
        return found, [Problem(_display(root), 0, "no such file or folder")]
    for path in _files(root):
        file = _File(path, _display(path), unwritten_ok=unwritten_ok)
        data = file.parse()
        if data is not None or not file.problems:
            kind = _kind_of(path, data)
            _read_language(file, data, found, folder=kind != "safety")
            if kind is None:
                file.add(
                    1,
                    "cannot tell what this file holds: put it in modules/, scenarios/, "
                    "scales/, prompts/ or examples/, or name it safety.yaml (safety.es.yaml for a "
                    "list in Spanish)",
                )
            else:
                _READERS[kind](file, data, found)
        problems.extend(file.problems)

    def add(path: str, line: int, message: str) -> None:
        problems.append(Problem(path, line, message))

    _check_languages(found, add)
    _cross_check(found, add, folder=root.is_dir())
    return found, problems


def validate_path(
    path: str | Path, *, unwritten_ok: bool = False
) -> tuple[list[Problem], Content | None]:
    """Check a data folder or a single content file: (problems, content when there are none).

    A single file is checked on its own; references to other files (a scenario's module, say)
    are checked only when a whole folder is given.
    """
    root = Path(path)
    found, problems = _read(root, unwritten_ok)
    if problems:
        return sorted(problems, key=lambda p: (p.path, p.line)), None
    content = Content(
        root=root,
        modules={m.id: m for m, _, _ in sorted(found.modules, key=lambda e: e[0].order)},
        scenarios={s.id: s for s, _, _ in found.scenarios},
        scales={s.id: s for s, _, _ in found.scales},
        prompts={p.id: p for p, _, _ in found.prompts},
        safety=_safety(found.safety, root),
        examples=found.examples[0] if found.examples else Examples(),
        notes=found.notes or Notes(),
        language=found.languages[0][0] if found.languages else DEFAULT_LANGUAGE,
    )
    return [], content


def _safety(lists: list[tuple[Safety, str]], root: Path) -> Safety:
    """The English list with the others attached. A folder with lists in other languages but
    none in English uses the English list shipped with peerkit, so that a room in any language
    is still checked against the English terms."""
    english = next((s for s, _ in lists if s.language == "en"), None)
    others = tuple(s for s, _ in lists if s.language != "en")
    if english is None and others and root.is_dir():
        shipped = _shipped_data_dir() / "safety.yaml"
        if shipped.is_file() and shipped.resolve() != (root / "safety.yaml").resolve():
            found, problems = _read(shipped)
            english = next((s for s, _ in found.safety if not problems), None)
    english = english or Safety()
    return Safety(english.flag_terms, english.resources, english.resources_note, "en", others)


def load_content(path: str | Path | None = None, *, unwritten_ok: bool = False) -> Content:
    """Load and check a ``data/`` folder; raise :class:`ContentError` listing every problem.

    ``unwritten_ok`` lets through the texts ``peerkit new-module`` leaves to write (for making
    notebooks, which do not show them)."""
    problems, content = validate_path(
        default_data_dir() if path is None else path, unwritten_ok=unwritten_ok
    )
    if content is None:
        raise ContentError(problems)
    return content
