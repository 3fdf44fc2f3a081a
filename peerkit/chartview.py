"""What a results chart shows, as plain data: the chart view model and its words.

Nothing here draws, imports a widget or touches the network. :func:`chart_view` turns a typed
tally (:data:`peerkit.model.Tally`) and the chart's state into a small JSON-able dict that the
shared browser module ``peerkit/static/chart.js`` draws as text-bearing SVG/HTML (in the
notebook, on the phone page and on the presenter display); :func:`describe` gives the same
numbers as one sentence for screen readers and captions; :func:`chart_state` decides which state
a chart is in (the room's rules for who sees what), so widgets only display the result.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from peerkit.model import (
    PASS,
    ChoiceQuestion,
    ChoiceTally,
    ScaleQuestion,
    ScaleTally,
    Tally,
    TextQuestion,
    TextTally,
    tally_from_dict,
)

__all__ = [
    "HIDDEN_LABEL",
    "ILLUSTRATIVE_LABEL",
    "PASS_LABEL",
    "STATES",
    "chart_state",
    "chart_view",
    "describe",
    "describe_pre_post",
    "fmt",
    "pre_post_view",
]

#: Shown while the facilitator has not revealed the results.
HIDDEN_LABEL = "Hidden from participants"
#: Shown with every chart drawn from illustrative (solo-mode) figures.
ILLUSTRATIVE_LABEL = "Illustrative example group, not real responses"
PASS_LABEL = "Pass / prefer not to say"  # noqa: S105 - a label, not a password
LOW_END = "Controlling / rescuing"
HIGH_END = "Autonomy-supporting"
YOUR_ANSWER = "Your answer"

#: Every state a chart can be in, and the banner each one shows ("" for none).
STATES = {
    "shown": "",
    "hidden": HIDDEN_LABEL,
    "below-minimum": "Not enough answers yet",
    "illustrative": ILLUSTRATIVE_LABEL,
    "solo": "Only your own answer: there is no example group for this question",
    "waiting": "Waiting for the facilitator to open this question",
    "withheld": "Results appear when the facilitator reveals them",
}

# --------------------------------------------------------------------------- small helpers


def _fmt(value: object) -> str:
    """A number as people write it: 6, 6.5, 6.83 (no trailing zeros, no float noise)."""
    if value is None:
        return "-"
    number = round(float(value), 2)  # type: ignore[arg-type]
    return str(int(number)) if number == int(number) else f"{number:g}"


fmt = _fmt


def _pct(count: int, of: int) -> str:
    """A share as a whole percentage, rounding halves up (1 of 8 is 13%), "0%" of nobody."""
    return f"{math.floor(100.0 * count / of + 0.5) if of else 0}%"


def _plural(count: int, one: str, many: str = "") -> str:
    return f"{count} {one if count == 1 else (many or one + 's')}"


def _passes(count: int) -> str:
    return _plural(count, "pass", "passes")


def _title(question: ChoiceQuestion | ScaleQuestion | TextQuestion) -> str:
    return question.title or question.prompt or question.id


def _int(data: Mapping, key: str) -> int:
    return int(data.get(key) or 0)


def _check_tally(question: object, data: object, what: str) -> Tally | None:
    """``data`` as a typed tally for ``question`` (the parts of a pre/post comparison arrive as
    ``as_dict()`` and are read here once); a tally of another question is refused."""
    if data is None:
        return None
    if isinstance(data, Mapping):
        data = tally_from_dict(data)
    if not isinstance(data, ChoiceTally | ScaleTally | TextTally):
        raise TypeError(f"{what} must be a tally (peerkit.model.Tally), got {type(data).__name__}")
    kind = getattr(question, "kind", None)
    qid = getattr(question, "id", None)
    if data.kind != kind:
        raise ValueError(f"{what} is a {data.kind!r} tally but {qid!r} is a {kind!r} question")
    if data.question_id != qid:
        raise ValueError(f"{what} is for {data.question_id!r}, not {qid!r}")
    return data


def _pick(question: object, tally: object, illustrative: object) -> Tally | None:
    if tally is not None and illustrative is not None:
        raise ValueError(
            "pass either a real tally or an illustrative one, not both: illustrative figures "
            "must never be drawn as if they were the room's answers"
        )
    if illustrative is not None:
        return _check_tally(question, illustrative, "illustrative")
    return _check_tally(question, tally, "tally")


def _answered(data: Tally | None) -> int:
    """Responses that gave an answer (passes excluded): what the minimum-group rule counts."""
    return 0 if data is None else data.answered


def _choice_counts(question: ChoiceQuestion, data: ChoiceTally) -> list[int]:
    counts = dict(data.counts)
    return [counts.get(oid, 0) for oid in question.option_ids]


def _histogram(question: ScaleQuestion, data: ScaleTally) -> list[int]:
    found = {round(value, 9): count for value, count in data.histogram}
    return [found.get(round(float(point), 9), 0) for point in question.points]


def _withheld(question: object, data: Tally | None, below_minimum: int | None) -> bool:
    return below_minimum is not None and _answered(data) < below_minimum


def _minimum_message(minimum: int, so_far: int) -> str:
    return f"Results appear once at least {minimum} people have answered ({so_far} so far)"


def _lean_words(lean: float) -> str:
    value = _fmt(round(lean, 1))
    if abs(lean - 5.0) < 0.05:
        return f"Group leans {value} of 10, midway between {LOW_END.lower()} and {HIGH_END.lower()}"
    towards = HIGH_END if lean > 5 else LOW_END
    return f"Group leans {value} of 10 towards {towards.lower()}"


def _own_index(question: ChoiceQuestion, own_answer: object) -> int | None:
    """The row of the participant's own answer (the pass row is last), or None."""
    if own_answer == PASS:
        return len(question.options)
    if isinstance(own_answer, str) and own_answer in question.option_ids:
        return question.option_ids.index(own_answer)
    return None


def _own_value(question: ScaleQuestion, own_answer: object) -> float | None:
    if isinstance(own_answer, (int, float)) and not isinstance(own_answer, bool):
        for point in question.points:
            if math.isclose(point, own_answer, abs_tol=1e-9):
                return float(point)
    return None


# --------------------------------------------------------------------------- describe


def describe(
    question: ChoiceQuestion | ScaleQuestion | TextQuestion,
    tally: Tally | None,
    *,
    hidden_from_participants: bool = False,
    below_minimum: int | None = None,
    illustrative: Tally | None = None,
    own_answer: object = None,
    with_labels: bool = True,
) -> str:
    """The chart's numbers as plain text: every count and percentage, the passes and the lean.

    ``with_labels=False`` leaves out the options' words (a chart that writes them beside its
    bars says them already). With ``below_minimum=k`` and fewer than ``k`` answers it gives
    only the waiting message.
    """
    data = _pick(question, tally, illustrative)
    parts: list[str] = []
    if hidden_from_participants:
        parts.append(f"{HIDDEN_LABEL}.")
    if illustrative is not None:
        parts.append(f"{ILLUSTRATIVE_LABEL}.")
    if own_answer is not None:
        parts.append(f"{YOUR_ANSWER}: {_own_words(question, own_answer)}.")
    if below_minimum is not None and _withheld(question, data, below_minimum):
        parts.append(_minimum_message(below_minimum, _answered(data)) + ".")
        return " ".join(parts)
    if data is None:
        parts.append("No responses yet.")
        return " ".join(parts)
    passes = data.passes
    if isinstance(data, ChoiceTally) and isinstance(question, ChoiceQuestion):
        counts = _choice_counts(question, data)
        answered = sum(counts)
        items = "; ".join(
            f"{option.id}: {count} ({_pct(count, answered)})"
            + (f" — {option.text.rstrip('.')}" if with_labels else "")
            for option, count in zip(question.options, counts, strict=True)
        )
        parts.append(f"{_plural(answered, 'answer')}. {items}.")
        parts.append(f"Pass: {passes} (not counted in the percentages).")
        if data.lean is not None:
            parts.append(_lean_words(data.lean) + ".")
    elif isinstance(data, ScaleTally) and isinstance(question, ScaleQuestion):
        parts.append(_scale_words(question, data))
    else:
        parts.append(f"{_plural(data.answered, 'reflection')}, {_passes(passes)}.")
    return " ".join(parts)


def _own_words(question: object, own_answer: object) -> str:
    if own_answer == PASS:
        return "pass"
    if isinstance(question, ChoiceQuestion) and isinstance(own_answer, str):
        if own_answer in question.option_ids:
            return f"{own_answer} — {question.option(own_answer).text.rstrip('.')}"
    if isinstance(question, ScaleQuestion) and _own_value(question, own_answer) is not None:
        return f"{_fmt(own_answer)} ({question.anchor_for(float(own_answer))})"  # type: ignore[arg-type]
    return str(own_answer)


def _scale_words(question: ScaleQuestion, data: ScaleTally, label: str = "") -> str:
    n = data.n
    passes = data.passes
    head = f"{label}: " if label else ""
    if not n:
        return f"{head}no answers yet, {_passes(passes)}."
    items = "; ".join(
        f"{_fmt(point)}: {count} ({_pct(count, n)})"
        for point, count in zip(question.points, _histogram(question, data), strict=True)
    )
    return (
        f"{head}{_plural(n, 'answer')} on a scale from {_fmt(question.min)} "
        f"({question.low_label}) to {_fmt(question.max)} ({question.high_label}), "
        f"{_passes(passes)}. Median {_fmt(data.median)}; middle half from "
        f"{_fmt(data.q1)} to {_fmt(data.q3)}. {items}."
    )


def describe_pre_post(
    question: ScaleQuestion,
    comparison: Mapping,
    *,
    hidden_from_participants: bool = False,
    below_minimum: int | None = None,
) -> str:
    """The numbers of ``PrePostComparison.as_dict()`` as plain text (see :class:`PrePostChart`)."""
    pre, post = _pre_post(question, comparison)
    parts = [f"{HIDDEN_LABEL}."] if hidden_from_participants else []
    fewest = min(pre.n, post.n)
    if below_minimum is not None and fewest < below_minimum:
        parts.append(_minimum_message(below_minimum, fewest) + ".")
        return " ".join(parts)
    parts.append(_scale_words(question, pre, "Before"))
    parts.append(_scale_words(question, post, "After"))
    parts.append(_shift_words(comparison) + ".")
    parts.append(_moved_words(question, comparison, sep=" ") + ".")
    return " ".join(parts)


def _pre_post(question: ScaleQuestion, comparison: Mapping) -> tuple[ScaleTally, ScaleTally]:
    if not isinstance(comparison, Mapping) or "pre" not in comparison or "post" not in comparison:
        raise TypeError("comparison must be PrePostComparison.as_dict()")
    pre = _check_tally(question, comparison["pre"], "comparison['pre']")
    post = _check_tally(question, comparison["post"], "comparison['post']")
    assert isinstance(pre, ScaleTally) and isinstance(post, ScaleTally)
    return pre, post


def _shift_words(comparison: Mapping) -> str:
    shift = comparison.get("median_shift")
    if shift is None:
        return "median shift not known yet"
    pre_median = _fmt(comparison["pre"].get("median"))
    post_median = _fmt(comparison["post"].get("median"))
    sign = "+" if float(shift) > 0 else ""
    return f"Median moved from {pre_median} to {post_median} ({sign}{_fmt(shift)})"


def _moved_words(question: ScaleQuestion, comparison: Mapping, sep: str = "\n") -> str:
    moved = comparison.get("moved") or {}
    paired = _int(comparison, "paired")
    return (
        f"Of {_plural(paired, 'person', 'people')} who answered both times:{sep}"
        f"{moved.get('towards_high', 0)} moved towards “{question.high_label}”, "
        f"{moved.get('towards_low', 0)} towards “{question.low_label}”, "
        f"{moved.get('unchanged', 0)} unchanged"
    )


# --------------------------------------------------------------------------- the room's rules


def chart_state(
    *,
    facilitator: bool,
    solo: bool,
    opened: bool,
    revealed: bool,
    answered: int,
    min_group: int,
    has_tally: bool,
    has_example: bool = False,
    respect_minimum: bool = True,
) -> str:
    """Which of :data:`STATES` a results chart is in, for one viewer.

    Solo participants compare their answer with an illustrative example group (or see only
    their own answer when there is none). Otherwise nothing shows before the question opens;
    a participant sees the group only once it is revealed (``has_tally``: the service sent
    it); and nobody sees a distribution of fewer than ``min_group`` answers, so no one's answer
    can be picked out (the facilitator may switch that off with ``respect_minimum=False``).
    """
    if solo and not facilitator:
        return "illustrative" if has_example else "solo"
    if not opened:
        return "waiting"
    if not facilitator and not has_tally:
        return "withheld"
    if respect_minimum and answered < min_group:
        return "below-minimum"
    return "shown" if revealed or not facilitator else "hidden"


# --------------------------------------------------------------------------- the view model


def _letter(index: int) -> str:
    return "abcdefghijklmnopqrstuvwxyz"[index] if index < 26 else str(index + 1)


def _percent(count: int, of: int) -> int:
    return math.floor(100.0 * count / of + 0.5) if of else 0


def chart_view(
    question: ChoiceQuestion | ScaleQuestion | TextQuestion,
    tally: Tally | None,
    *,
    state: str = "shown",
    min_group: int | None = None,
    own_answer: object = None,
    status: str = "",
) -> dict:
    """The chart of ``tally`` for ``question`` as a small JSON-able dict.

    ``state`` is one of :data:`STATES` (see :func:`chart_state`); in "waiting", "withheld" and
    "below-minimum" no bars are included, only how many answered. For "illustrative" the tally
    is the example group's. ``status`` is a short line about the question (open, closed, how
    many responses) that the chart shows above itself.
    """
    if state not in STATES:
        raise ValueError(f"unknown chart state {state!r}; expected one of {sorted(STATES)}")
    data = _check_tally(question, tally, "tally")
    answered = _answered(data)
    banner = STATES[state]
    if state == "below-minimum" and min_group is not None:
        banner = _minimum_message(min_group, answered)
    view: dict = {
        "kind": question.kind,
        "title": _title(question),
        "state": state,
        "banner": banner,
        "status": status,
        "answered": answered,
        "passes": data.passes if data else 0,
    }
    withheld = state in ("waiting", "withheld", "below-minimum") or data is None
    if state == "solo":
        view["caption"] = (
            f"{YOUR_ANSWER}: {_own_words(question, own_answer)}."
            if own_answer is not None
            else "No answer yet."
        )
    elif withheld:
        view["caption"] = banner + "." if banner else "No responses yet."
    else:
        view["caption"] = describe(
            question,
            None if state == "illustrative" else data,
            hidden_from_participants=state == "hidden",
            illustrative=data if state == "illustrative" else None,
            own_answer=own_answer,
            with_labels=False,
        )
    if own_answer is not None:
        view["own"] = _own_words(question, own_answer)
    if isinstance(question, ChoiceQuestion):
        counts = None
        if isinstance(data, ChoiceTally) and not withheld:
            counts = _choice_counts(question, data)
        own = _own_index(question, own_answer)
        bars = []
        for index, option in enumerate(question.options):
            bar: dict = {"letter": _letter(index), "label": option.text}
            if counts is not None:
                bar["count"] = counts[index]
                bar["percent"] = _percent(counts[index], answered)
            if own == index:
                bar["own"] = True
            bars.append(bar)
        view["bars"] = bars
        if isinstance(data, ChoiceTally) and counts is not None and data.lean is not None:
            lean = data.lean
            view["lean"] = {"value": round(lean, 1), "words": _lean_words(lean)}
    elif isinstance(question, ScaleQuestion):
        scale: dict = {
            "min": question.min,
            "max": question.max,
            "low": question.low_label,
            "high": question.high_label,
        }
        if isinstance(data, ScaleTally) and not withheld:
            histogram = _histogram(question, data)
            scale["points"] = [
                {"value": p, "count": c, "percent": _percent(c, answered)}
                for p, c in zip(question.points, histogram, strict=True)
            ]
            scale.update(median=data.median, q1=data.q1, q3=data.q3)
        own_value = _own_value(question, own_answer)
        if own_value is not None:
            scale["own"] = own_value
        view["scale"] = scale
    return view


def pre_post_view(
    question: ScaleQuestion,
    comparison: Mapping,
    *,
    min_group: int | None = None,
    hidden: bool = False,
    status: str = "",
) -> dict:
    """The before/after chart of one scale (``PrePostComparison.as_dict()``) as a view model."""
    pre, post = _pre_post(question, comparison)
    fewest = min(pre.n, post.n)
    below = min_group is not None and fewest < min_group
    state = "below-minimum" if below else "hidden" if hidden else "shown"
    banner = _minimum_message(min_group, fewest) if below else STATES[state]  # type: ignore[arg-type]
    view: dict = {
        "kind": "pre-post",
        "title": f"Before and after: {_title(question)}",
        "state": state,
        "banner": banner,
        "status": status,
        "caption": describe_pre_post(
            question, comparison, hidden_from_participants=hidden, below_minimum=min_group
        ),
        "scale": {
            "min": question.min,
            "max": question.max,
            "low": question.low_label,
            "high": question.high_label,
        },
    }
    if not below:
        series = []
        for name, data in (("Before", pre), ("After", post)):
            n = data.n
            series.append(
                {
                    "label": name,
                    "n": n,
                    "median": data.median,
                    "points": [
                        {"value": p, "count": c, "percent": _percent(c, n)}
                        for p, c in zip(question.points, _histogram(question, data), strict=True)
                    ],
                }
            )
        view["series"] = series
        view["shift"] = {
            "median": comparison.get("median_shift"),
            "words": _shift_words(comparison),
            "moved": _moved_words(question, comparison, sep=" "),
        }
    return view
