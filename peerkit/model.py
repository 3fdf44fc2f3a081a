"""Question kinds, response validation, tallies and the privacy rule.

Pure values and functions: nothing here reads a file, opens a socket or draws a widget, so the
same rules hold in the poll service, in solo mode and in tests.
"""

from __future__ import annotations

import math
import re
import statistics
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, TypeVar

__all__ = [
    "MIN_GROUP_SIZE",
    "PASS",
    "STANCES",
    "ChoiceQuestion",
    "ChoiceTally",
    "ModelError",
    "Option",
    "PrePostComparison",
    "Question",
    "ResponseError",
    "ScaleQuestion",
    "ScaleTally",
    "Tally",
    "TextQuestion",
    "TextTally",
    "compare_pre_post",
    "question_from_dict",
    "question_to_dict",
    "results_visible",
    "tally",
    "tally_from_dict",
]

#: Results are shown to participants only once at least this many people have responded.
MIN_GROUP_SIZE = 3

#: The answer that means "pass / prefer not to say". Every question accepts it.
PASS = "pass"  # noqa: S105 - an answer, not a password

#: Where an option sits, in words. ``position`` gives the number on the spectrum.
STANCES = ("controlling", "rescuing", "takes-over", "withdrawing", "autonomy-supporting")

ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")

MIN_OPTIONS = 2
MAX_OPTIONS = 6
DEFAULT_TEXT_LIMIT = 500
MAX_TEXT_LIMIT = 5000


class ModelError(ValueError):
    """A question or response breaks a rule. ``field`` names the part at fault."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class ResponseError(ModelError):
    """A participant's answer does not fit the question."""


def _check_id(value: object, what: str) -> str:
    if not isinstance(value, str) or not ID_PATTERN.match(value):
        raise ModelError(
            f"{what} must be 1-64 lowercase letters, digits or hyphens, got {value!r}", "id"
        )
    return value


def _check_text(value: object, field_name: str, *, required: bool = True) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        raise ModelError(f"'{field_name}' must be text, not {json_kind(value)}", field_name)
    if required and not value.strip():
        raise ModelError(f"'{field_name}' must not be empty", field_name)
    return value.strip()


def json_kind(value: object) -> str:
    """What a value read from JSON is, in JSON's own words (for messages to clients)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list | tuple):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return "a value of another kind"


def _is_number(value: object) -> bool:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an int too large for a float (10**400): not a usable number
        return False


# --------------------------------------------------------------------------- questions


@dataclass(frozen=True)
class Option:
    """One response to a scenario vote."""

    id: str
    text: str
    stance: str | None = None
    position: float | None = None
    debrief: str = ""

    def __post_init__(self) -> None:
        _check_id(self.id, "option id")
        object.__setattr__(self, "text", _check_text(self.text, "text"))
        if self.id == PASS:
            raise ModelError(f"option id {PASS!r} is reserved for 'prefer not to say'", "id")
        if self.stance is not None and self.stance not in STANCES:
            raise ModelError(
                f"'stance' must be one of {', '.join(STANCES)}, got {self.stance!r}", "stance"
            )
        if self.position is not None:
            if not _is_number(self.position) or not 0 <= self.position <= 10:
                raise ModelError(
                    f"'position' must be a number from 0 to 10, got {self.position!r}", "position"
                )
        object.__setattr__(self, "debrief", _check_text(self.debrief, "debrief", required=False))


@dataclass(frozen=True)
class ChoiceQuestion:
    """A scenario vote: a vignette, a question and 2-6 options."""

    id: str
    prompt: str
    options: tuple[Option, ...]
    title: str = ""
    vignette: str = ""
    debrief: str = ""
    kind: Literal["choice"] = field(default="choice", init=False)

    def __post_init__(self) -> None:
        _check_id(self.id, "question id")
        object.__setattr__(self, "prompt", _check_text(self.prompt, "question"))
        object.__setattr__(self, "options", tuple(self.options))
        if not MIN_OPTIONS <= len(self.options) <= MAX_OPTIONS:
            raise ModelError(
                f"a scenario needs {MIN_OPTIONS} to {MAX_OPTIONS} options, got {len(self.options)}",
                "options",
            )
        seen: set[str] = set()
        for option in self.options:
            if option.id in seen:
                raise ModelError(f"option id {option.id!r} is used twice", "options")
            seen.add(option.id)

    @property
    def option_ids(self) -> tuple[str, ...]:
        return tuple(option.id for option in self.options)

    def option(self, option_id: str) -> Option:
        for option in self.options:
            if option.id == option_id:
                return option
        raise KeyError(option_id)

    def validate(self, answer: object) -> str:
        """Return the normalised answer, or raise :class:`ResponseError`."""
        if answer == PASS:
            return PASS
        if not isinstance(answer, str):
            raise ResponseError(
                f"the answer to {self.id!r} must be an option id, not {json_kind(answer)}",
                "answer",
            )
        if answer not in self.option_ids:
            raise ResponseError(
                f"{answer!r} is not an option of {self.id!r}; choose one of "
                f"{', '.join(self.option_ids)} or {PASS!r}",
                "answer",
            )
        return answer


@dataclass(frozen=True)
class ScaleQuestion:
    """A slider between two labelled poles, with descriptors at chosen points."""

    id: str
    prompt: str
    low_label: str
    high_label: str
    min: float = 0
    max: float = 10
    step: float = 1
    anchors: tuple[tuple[float, str], ...] = ()
    title: str = ""
    note: str = ""
    kind: Literal["scale"] = field(default="scale", init=False)

    def __post_init__(self) -> None:
        _check_id(self.id, "question id")
        object.__setattr__(self, "prompt", _check_text(self.prompt, "prompt"))
        low = _check_text(self.low_label, "low_label")
        high = _check_text(self.high_label, "high_label")
        if low.casefold() == high.casefold():
            raise ModelError(f"the two poles must differ, both are {low!r}", "high_label")
        object.__setattr__(self, "low_label", low)
        object.__setattr__(self, "high_label", high)
        for name in ("min", "max", "step"):
            if not _is_number(getattr(self, name)):
                raise ModelError(f"'{name}' must be a number, got {getattr(self, name)!r}", name)
        if self.min >= self.max:
            raise ModelError(f"'min' ({self.min}) must be below 'max' ({self.max})", "max")
        if not math.isfinite(self.max - self.min):  # -1e308 to 1e308: no arithmetic on it
            raise ModelError(f"the scale {self.min:g} to {self.max:g} is too wide", "max")
        if self.step <= 0 or self.step > self.max - self.min:
            raise ModelError(
                f"'step' must be above 0 and at most max - min, got {self.step}", "step"
            )
        if not math.isfinite((self.max - self.min) / self.step):  # a step of 1e-320
            raise ModelError(f"'step' {self.step:g} is too small for this scale", "step")
        for value, _label in self.anchors:
            if not _is_number(value):
                raise ModelError(f"anchor {value!r} is not a number", "anchors")
        if not self._on_step(self.max):
            raise ModelError(f"'step' {self.step} does not divide {self.min}..{self.max}", "step")
        anchors = tuple(
            sorted((float(value), _check_text(label, "anchors")) for value, label in self.anchors)
        )
        for value, _label in anchors:
            if not self.min <= value <= self.max or not self._on_step(value):
                raise ModelError(f"anchor {value:g} is not a point of the scale", "anchors")
        if len({value for value, _ in anchors}) != len(anchors):
            raise ModelError("two anchors share a point", "anchors")
        object.__setattr__(self, "anchors", anchors)

    def _on_step(self, value: float) -> bool:
        steps = (value - self.min) / self.step
        return math.isclose(steps, round(steps), abs_tol=1e-9)

    @property
    def points(self) -> tuple[float, ...]:
        count = round((self.max - self.min) / self.step)
        return tuple(_tidy(self.min + i * self.step) for i in range(count + 1))

    def anchor_for(self, value: float) -> str:
        """The descriptor of the anchor nearest ``value`` (the lower of two as near; the low
        pole if the scale has no anchors): 9 on a 0-10 scale anchored only at its ends reads
        as its high end, not its low one."""
        if not self.anchors:
            return self.low_label
        return min(self.anchors, key=lambda anchor: (abs(anchor[0] - value), anchor[0]))[1]

    def validate(self, answer: object) -> float | str:
        if answer == PASS:
            return PASS
        if not _is_number(answer):
            shown = json_kind(answer) if not isinstance(answer, int | float) else repr(answer)
            raise ResponseError(
                f"the answer to {self.id!r} must be a number, not {shown}", "answer"
            )
        if not self.min <= answer <= self.max:
            raise ResponseError(
                f"{answer!r} is outside the scale of {self.id!r} ({self.min:g} to {self.max:g})",
                "answer",
            )
        if not self._on_step(answer):
            raise ResponseError(
                f"{answer!r} is not a point of the scale of {self.id!r} (steps of {self.step:g})",
                "answer",
            )
        return _tidy(answer)


@dataclass(frozen=True)
class TextQuestion:
    """A short free-text reflection."""

    id: str
    prompt: str
    max_length: int = DEFAULT_TEXT_LIMIT
    title: str = ""
    kind: Literal["text"] = field(default="text", init=False)

    def __post_init__(self) -> None:
        _check_id(self.id, "question id")
        object.__setattr__(self, "prompt", _check_text(self.prompt, "text"))
        if (
            not isinstance(self.max_length, int)
            or isinstance(self.max_length, bool)
            or not 1 <= self.max_length <= MAX_TEXT_LIMIT
        ):
            raise ModelError(
                f"'max_length' must be a whole number from 1 to {MAX_TEXT_LIMIT}, "
                f"got {self.max_length!r}",
                "max_length",
            )

    def validate(self, answer: object) -> str:
        if answer == PASS:
            return PASS
        if not isinstance(answer, str):
            raise ResponseError(
                f"the answer to {self.id!r} must be text, not {json_kind(answer)}", "answer"
            )
        text = answer.strip()
        if not text:
            raise ResponseError(
                f"the answer to {self.id!r} is empty; write something or pass", "answer"
            )
        if len(text) > self.max_length:
            raise ResponseError(
                f"the answer to {self.id!r} is {len(text)} characters; "
                f"the limit is {self.max_length}",
                "answer",
            )
        return text


Question = ChoiceQuestion | ScaleQuestion | TextQuestion


def _tidy(value: float) -> float:
    """Drop float noise so 0.1 * 3 prints as 0.3 and whole numbers stay whole."""
    value = round(float(value), 9)
    return float(int(value)) if value.is_integer() else value


# --------------------------------------------------------------------------- (de)serialising


def question_to_dict(question: Question) -> dict:
    """A JSON-ready dict that :func:`question_from_dict` turns back into the same question."""
    data: dict = {"kind": question.kind, "id": question.id, "prompt": question.prompt}
    if question.title:
        data["title"] = question.title
    if isinstance(question, ChoiceQuestion):
        data["vignette"] = question.vignette
        data["debrief"] = question.debrief
        data["options"] = [
            {
                "id": o.id,
                "text": o.text,
                "stance": o.stance,
                "position": o.position,
                "debrief": o.debrief,
            }
            for o in question.options
        ]
    elif isinstance(question, ScaleQuestion):
        data.update(
            min=question.min,
            max=question.max,
            step=question.step,
            low_label=question.low_label,
            high_label=question.high_label,
            anchors=[[value, label] for value, label in question.anchors],
            note=question.note,
        )
    else:
        data["max_length"] = question.max_length
    return data


def _optional(data: Mapping, key: str) -> str:
    """An optional text field of a JSON body: missing or null is "", anything but text an error."""
    return _check_text(data.get(key), key, required=False)


def question_from_dict(data: Mapping) -> Question:
    """Build a question from :func:`question_to_dict` output (or an ad hoc JSON body)."""
    if not isinstance(data, Mapping):
        raise ModelError("a question must be an object", "question")
    kind = data.get("kind")
    common = {"id": data.get("id"), "prompt": data.get("prompt"), "title": _optional(data, "title")}
    try:
        if kind == "choice":
            options = data.get("options")
            if not isinstance(options, Sequence) or isinstance(options, str):
                raise ModelError("'options' must be a list", "options")
            built = []
            for item in options:
                if not isinstance(item, Mapping):
                    raise ModelError("each option must be an object", "options")
                built.append(
                    Option(
                        id=item.get("id"),
                        text=item.get("text"),
                        stance=item.get("stance"),
                        position=item.get("position"),
                        debrief=_optional(item, "debrief"),
                    )
                )
            return ChoiceQuestion(
                **common,
                options=tuple(built),
                vignette=_optional(data, "vignette"),
                debrief=_optional(data, "debrief"),
            )
        if kind == "scale":
            anchors = data.get("anchors") or ()
            if isinstance(anchors, Mapping):
                anchors = list(anchors.items())
            if not all(isinstance(a, Sequence) and len(a) == 2 for a in anchors):
                raise ModelError("'anchors' must be [value, label] pairs", "anchors")
            return ScaleQuestion(
                **common,
                low_label=data.get("low_label"),
                high_label=data.get("high_label"),
                min=data.get("min", 0),
                max=data.get("max", 10),
                step=data.get("step", 1),
                anchors=tuple((value, label) for value, label in anchors),
                note=_optional(data, "note"),
            )
        if kind == "text":
            return TextQuestion(**common, max_length=data.get("max_length", DEFAULT_TEXT_LIMIT))
    except ModelError:
        raise
    except (TypeError, ValueError, ArithmeticError) as exc:  # a wrong type reached arithmetic
        raise ModelError(f"malformed question: {exc}", "question") from None
    raise ModelError(f"'kind' must be choice, scale or text, got {kind!r}", "kind")


# --------------------------------------------------------------------------- tallies


@dataclass(frozen=True)
class ChoiceTally:
    """Counts per option, the share of each, and where the group leans."""

    question_id: str
    counts: tuple[tuple[str, int], ...]
    passes: int
    lean: float | None
    kind: Literal["choice"] = field(default="choice", init=False)

    def __post_init__(self) -> None:
        # Held as the JSON carries it, so a tally read back from the service equals the original.
        object.__setattr__(self, "counts", tuple(self.counts))
        if self.lean is not None:
            object.__setattr__(self, "lean", round(float(self.lean), 2))

    @classmethod
    def from_dict(cls, data: object) -> ChoiceTally:
        """The tally of :meth:`as_dict` (the service's JSON); :class:`ModelError` if malformed."""
        body = _tally_body(data, "choice")
        counts = body["counts"]
        if not isinstance(counts, Mapping):
            raise ModelError(f"'counts' must be an object, not {json_kind(counts)}", "tally.counts")
        pairs = tuple(
            (_tally_key(key, "an option id", "tally.counts"), _count(value, f"tally.counts.{key}"))
            for key, value in counts.items()
        )
        result = cls(
            _tally_id(body),
            pairs,
            _count(body["passes"], "tally.passes"),
            _maybe_number(body["lean"], "tally.lean"),
        )
        return _agrees(result, body)

    @property
    def answered(self) -> int:
        """Responses that chose an option (passes excluded)."""
        return sum(count for _, count in self.counts)

    @property
    def total(self) -> int:
        """Everyone who responded, passes included."""
        return self.answered + self.passes

    def percentages(self) -> dict[str, float]:
        """Share of each option among those who chose one (passes are counted apart)."""
        answered = self.answered
        return {key: (100.0 * count / answered if answered else 0.0) for key, count in self.counts}

    def as_dict(self) -> dict:
        pct = self.percentages()
        return {
            "kind": self.kind,
            "question_id": self.question_id,
            "total": self.total,
            "answered": self.answered,
            "passes": self.passes,
            "counts": dict(self.counts),
            "percentages": {key: round(value, 1) for key, value in pct.items()},
            "lean": None if self.lean is None else round(self.lean, 2),
        }


@dataclass(frozen=True)
class ScaleTally:
    """The distribution of slider answers: n, median, quartiles and a histogram."""

    question_id: str
    n: int
    passes: int
    median: float | None
    q1: float | None
    q3: float | None
    mean: float | None
    histogram: tuple[tuple[float, int], ...]
    kind: Literal["scale"] = field(default="scale", init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "histogram", tuple(self.histogram))
        if self.mean is not None:  # held as the JSON carries it (see ChoiceTally)
            object.__setattr__(self, "mean", round(float(self.mean), 2))

    @classmethod
    def from_dict(cls, data: object) -> ScaleTally:
        """The tally of :meth:`as_dict` (the service's JSON); :class:`ModelError` if malformed."""
        body = _tally_body(data, "scale")
        histogram = body["histogram"]
        if not isinstance(histogram, list) or not all(
            isinstance(pair, list | tuple) and len(pair) == 2 for pair in histogram
        ):
            raise ModelError("'histogram' must be [value, count] pairs", "tally.histogram")
        result = cls(
            _tally_id(body),
            _count(body["n"], "tally.n"),
            _count(body["passes"], "tally.passes"),
            *(_maybe_number(body[key], f"tally.{key}") for key in ("median", "q1", "q3", "mean")),
            tuple(
                (_number(value, "tally.histogram"), _count(count, "tally.histogram"))
                for value, count in histogram
            ),
        )
        return _agrees(result, body)

    @property
    def answered(self) -> int:
        return self.n

    @property
    def total(self) -> int:
        return self.n + self.passes

    def as_dict(self) -> dict:
        return {
            "kind": self.kind,
            "question_id": self.question_id,
            "total": self.total,
            "n": self.n,
            "passes": self.passes,
            "median": self.median,
            "q1": self.q1,
            "q3": self.q3,
            "mean": None if self.mean is None else round(self.mean, 2),
            "histogram": [[value, count] for value, count in self.histogram],
        }


@dataclass(frozen=True)
class TextTally:
    """How many reflections arrived; the texts themselves are moderated elsewhere."""

    question_id: str
    n: int
    passes: int
    kind: Literal["text"] = field(default="text", init=False)

    @classmethod
    def from_dict(cls, data: object) -> TextTally:
        """The tally of :meth:`as_dict` (the service's JSON); :class:`ModelError` if malformed."""
        body = _tally_body(data, "text")
        n, passes = _count(body["n"], "tally.n"), _count(body["passes"], "tally.passes")
        return _agrees(cls(_tally_id(body), n, passes), body)

    @property
    def answered(self) -> int:
        return self.n

    @property
    def total(self) -> int:
        return self.n + self.passes

    def as_dict(self) -> dict:
        return {
            "kind": self.kind,
            "question_id": self.question_id,
            "total": self.total,
            "n": self.n,
            "passes": self.passes,
        }


Tally = ChoiceTally | ScaleTally | TextTally
_T = TypeVar("_T", ChoiceTally, ScaleTally, TextTally)

_TALLY_KINDS: dict[str, type[ChoiceTally] | type[ScaleTally] | type[TextTally]] = {
    "choice": ChoiceTally,
    "scale": ScaleTally,
    "text": TextTally,
}


def tally_from_dict(data: object) -> Tally:
    """Any tally's :meth:`as_dict` (as the service sends it) back as the same frozen tally.

    Strict: a missing or mistyped field, or figures that disagree with each other (a total that
    is not answers plus passes), raise :class:`ModelError` naming the field.
    """
    if not isinstance(data, Mapping):
        raise ModelError(f"a tally must be an object, not {json_kind(data)}", "tally")
    kind = data.get("kind")
    if kind not in _TALLY_KINDS:
        raise ModelError(
            f"a tally's 'kind' must be choice, scale or text, got {kind!r}", "tally.kind"
        )
    return _TALLY_KINDS[kind].from_dict(data)


def _tally_body(data: object, kind: str) -> Mapping:
    """``data`` checked to be a whole ``kind`` tally: an object with every field as_dict writes."""
    if not isinstance(data, Mapping):
        raise ModelError(f"a tally must be an object, not {json_kind(data)}", "tally")
    if data.get("kind") != kind:
        raise ModelError(f"expected a {kind} tally, got kind {data.get('kind')!r}", "tally.kind")
    fields = {
        "choice": ("question_id", "total", "answered", "passes", "counts", "percentages", "lean"),
        "scale": ("question_id", "total", "n", "passes", "median", "q1", "q3", "mean", "histogram"),
        "text": ("question_id", "total", "n", "passes"),
    }[kind]
    missing = [name for name in fields if name not in data]
    if missing:
        raise ModelError(
            f"the {kind} tally has no {', '.join(map(repr, missing))}", f"tally.{missing[0]}"
        )
    return data


def _tally_id(body: Mapping) -> str:
    return _tally_key(body["question_id"], "the tally's question id", "tally.question_id")


def _tally_key(value: object, what: str, where: str) -> str:
    try:
        return _check_id(value, what)
    except ModelError as exc:
        raise ModelError(exc.message, where) from None


def _count(value: object, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ModelError(f"'{where}' must be a whole number of 0 or more, got {value!r}", where)
    return value


def _number(value: object, where: str) -> float:
    if not _is_number(value):
        raise ModelError(f"'{where}' must be a number, got {value!r}", where)
    return float(value)  # type: ignore[arg-type]


def _maybe_number(value: object, where: str) -> float | None:
    return None if value is None else _number(value, where)


def _agrees(result: _T, body: Mapping) -> _T:
    """``result``, once the figures ``body`` repeats (total, answered, shares) match it."""
    for name, value in result.as_dict().items():
        if body[name] != value:
            raise ModelError(
                f"the tally's {name!r} is {body[name]!r} but its other figures make it {value!r}",
                f"tally.{name}",
            )
    return result


def _quartiles(values: Sequence[float]) -> tuple[float, float, float]:
    """Q1, median, Q3 by the inclusive method (the one spreadsheets use)."""
    if len(values) == 1:
        return values[0], values[0], values[0]
    q1, q2, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return _tidy(q1), _tidy(q2), _tidy(q3)


def tally(question: Question, answers: Iterable[object]) -> Tally:
    """Summarise validated answers (``PASS`` counted apart) for one question."""
    answers = list(answers)
    passes = sum(1 for a in answers if a == PASS)
    given = [a for a in answers if a != PASS]
    if isinstance(question, ChoiceQuestion):
        counter = Counter(given)
        counts = tuple((oid, counter.get(oid, 0)) for oid in question.option_ids)
        placed = [
            (question.option(oid).position, count)
            for oid, count in counts
            if count and question.option(oid).position is not None
        ]
        weight = sum(count for _, count in placed)
        lean = sum(pos * count for pos, count in placed) / weight if weight else None
        return ChoiceTally(question.id, counts, passes, lean)
    if isinstance(question, ScaleQuestion):
        values = sorted(float(a) for a in given)
        counter = Counter(_tidy(v) for v in values)
        histogram = tuple((point, counter.get(point, 0)) for point in question.points)
        if not values:
            return ScaleTally(question.id, 0, passes, None, None, None, None, histogram)
        q1, median, q3 = _quartiles(values)
        return ScaleTally(
            question.id, len(values), passes, median, q1, q3, statistics.fmean(values), histogram
        )
    return TextTally(question.id, len(given), passes)


# --------------------------------------------------------------------------- pre / post


@dataclass(frozen=True)
class PrePostComparison:
    """How one scale moved between the opening and the close of a workshop.

    ``paired`` holds (before, after) for participants who answered both times, matched by their
    anonymous participant id only.
    """

    pre: ScaleTally
    post: ScaleTally
    paired: tuple[tuple[float, float], ...]

    @property
    def median_shift(self) -> float | None:
        if self.pre.median is None or self.post.median is None:
            return None
        return _tidy(self.post.median - self.pre.median)

    @property
    def moved(self) -> dict[str, int]:
        """Among paired participants: how many moved towards each pole or stayed put."""
        up = sum(1 for before, after in self.paired if after > before)
        down = sum(1 for before, after in self.paired if after < before)
        return {"towards_high": up, "towards_low": down, "unchanged": len(self.paired) - up - down}

    def as_dict(self) -> dict:
        return {
            "pre": self.pre.as_dict(),
            "post": self.post.as_dict(),
            "median_shift": self.median_shift,
            "paired": len(self.paired),
            "moved": self.moved,
        }


def compare_pre_post(
    question: ScaleQuestion,
    pre: Mapping[object, object],
    post: Mapping[object, object],
) -> PrePostComparison:
    """Compare answers to ``question`` before and after, each keyed by anonymous participant id."""
    paired = tuple(
        (float(pre[key]), float(post[key]))
        for key in pre
        if key in post and pre[key] != PASS and post[key] != PASS
    )
    return PrePostComparison(
        tally(question, pre.values()),
        tally(question, post.values()),
        paired,  # type: ignore[arg-type]
    )


# --------------------------------------------------------------------------- privacy


def results_visible(result: Tally, *, revealed: bool, min_group: int = MIN_GROUP_SIZE) -> bool:
    """Whether participants may see a question's results.

    Only once the facilitator has revealed them and at least ``min_group`` people have given an
    answer. Passes do not count towards the minimum: two passes and one answer would show that
    one person's answer to everyone.
    """
    return revealed and result.answered >= min_group
