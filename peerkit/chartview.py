"""What a results chart shows, as plain data: the chart view model and its words.

Nothing here draws, imports a widget or touches the network. :func:`chart_view` turns a typed
tally (:data:`peerkit.model.Tally`) and the chart's state into a small JSON-able dict that the
shared browser module ``peerkit/static/chart.js`` draws as text-bearing SVG/HTML (in the
notebook, on the phone page and on the presenter display); :func:`describe` gives the same
numbers as one sentence for screen readers and captions; :func:`chart_state` decides which state
a chart is in (the room's rules for who sees what), so widgets only display the result.

Every word and number is written when the view is built, in the kernel's active language
(:func:`peerkit.i18n.use`), or in the one named by the builders' ``language`` keyword
(``chart_view(..., language="es")``, a :func:`peerkit.i18n.speaking` block): the poll service,
which builds charts for rooms in several languages at once, names each room's language.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from peerkit.i18n import N_, _, format_number, format_percent, ngettext, speaking
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

# The labels below are marked for the catalogs and translated where a chart is built (``_()``),
# so a chart speaks the language active then.

#: Shown while the facilitator has not revealed the results.
HIDDEN_LABEL = N_("Hidden from participants")
#: Shown with every chart drawn from illustrative (solo-mode) figures.
ILLUSTRATIVE_LABEL = N_("Illustrative example group, not real responses")
#: The pass option's label.
PASS_LABEL = N_("Pass / prefer not to say")
LOW_END = N_("Controlling / rescuing")
HIGH_END = N_("Autonomy-supporting")
YOUR_ANSWER = N_("Your answer")

#: Every state a chart can be in, and the banner each one shows ("" for none).
STATES = {
    "shown": "",
    "hidden": HIDDEN_LABEL,
    "below-minimum": N_("Not enough answers yet"),
    "illustrative": ILLUSTRATIVE_LABEL,
    "solo": N_("Only your own answer: there is no example group for this question"),
    "waiting": N_("Waiting for the facilitator to open this question"),
    "withheld": N_("Results appear when the facilitator reveals them"),
}

_F = TypeVar("_F", bound=Callable[..., Any])


def _in_language(function: _F) -> _F:
    """Give a builder a ``language`` keyword: its words in that language (default: the
    kernel's active one)."""

    @functools.wraps(function)
    def wrapper(*args: Any, language: str | None = None, **kwargs: Any) -> Any:
        with speaking(language):
            return function(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


# --------------------------------------------------------------------------- small helpers


def _fmt(value: object) -> str:
    """A number as the active language writes it: 6, 6.5, 6.83 (no trailing zeros, no float
    noise; ``6,5`` in Spanish)."""
    if value is None:
        return "-"
    return format_number(round(float(value), 2), digits=2)  # type: ignore[arg-type]


fmt = _fmt


def _pct(count: int, of: int) -> str:
    """A share as a whole percentage, rounding halves up (1 of 8 is 13%), "0%" of nobody."""
    return format_percent(_percent(count, of) / 100)


def _count(count: int) -> str:
    return format_number(count)


def _passes(count: int) -> str:
    return ngettext("{count} pass", "{count} passes", count).format(count=_count(count))


def _sentence(words: str) -> str:
    """A phrase (a banner, a label) ended as a sentence."""
    return _("{text}.").format(text=words)


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
    return ngettext(
        "Results appear once at least {minimum} person has answered ({count} so far)",
        "Results appear once at least {minimum} people have answered ({count} so far)",
        minimum,
    ).format(minimum=_count(minimum), count=_count(so_far))


def _lean_words(lean: float) -> str:
    value = _fmt(round(lean, 1))
    if abs(lean - 5.0) < 0.05:
        return _("Group leans {value} of 10, midway between {low} and {high}").format(
            value=value, low=_(LOW_END).lower(), high=_(HIGH_END).lower()
        )
    towards = HIGH_END if lean > 5 else LOW_END
    return _("Group leans {value} of 10 towards {pole}").format(
        value=value, pole=_(towards).lower()
    )


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


@_in_language
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
        parts.append(_sentence(_(HIDDEN_LABEL)))
    if illustrative is not None:
        parts.append(_sentence(_(ILLUSTRATIVE_LABEL)))
    if own_answer is not None:
        parts.append(_("Your answer: {answer}.").format(answer=_own_words(question, own_answer)))
    if below_minimum is not None and _withheld(question, data, below_minimum):
        parts.append(_sentence(_minimum_message(below_minimum, _answered(data))))
        return " ".join(parts)
    if data is None:
        parts.append(_("No responses yet."))
        return " ".join(parts)
    passes = data.passes
    if isinstance(data, ChoiceTally) and isinstance(question, ChoiceQuestion):
        counts = _choice_counts(question, data)
        answered = sum(counts)
        items = "; ".join(
            (
                _("{option}: {count} ({percent}) — {label}")
                if with_labels
                else _("{option}: {count} ({percent})")
            ).format(
                option=option.id,
                count=_count(count),
                percent=_pct(count, answered),
                label=option.text.rstrip("."),
            )
            for option, count in zip(question.options, counts, strict=True)
        )
        parts.append(
            ngettext("{count} answer. {items}.", "{count} answers. {items}.", answered).format(
                count=_count(answered), items=items
            )
        )
        parts.append(
            ngettext(
                "Pass: {count} (not counted in the percentages).",
                "Pass: {count} (not counted in the percentages).",
                passes,
            ).format(count=_count(passes))
        )
        if data.lean is not None:
            parts.append(_sentence(_lean_words(data.lean)))
    elif isinstance(data, ScaleTally) and isinstance(question, ScaleQuestion):
        parts.append(_scale_words(question, data))
    else:
        parts.append(
            ngettext(
                "{count} reflection, {passes}.", "{count} reflections, {passes}.", data.answered
            ).format(count=_count(data.answered), passes=_passes(passes))
        )
    return " ".join(parts)


def _own_words(question: object, own_answer: object) -> str:
    if own_answer == PASS:
        return _("pass")
    if isinstance(question, ChoiceQuestion) and isinstance(own_answer, str):
        if own_answer in question.option_ids:
            return _("{option} — {label}").format(
                option=own_answer, label=question.option(own_answer).text.rstrip(".")
            )
    if isinstance(question, ScaleQuestion) and _own_value(question, own_answer) is not None:
        return _("{value} ({label})").format(
            value=_fmt(own_answer),
            label=question.anchor_for(float(own_answer)),  # type: ignore[arg-type]
        )
    return str(own_answer)


def _scale_words(question: ScaleQuestion, data: ScaleTally, label: str = "") -> str:
    n = data.n
    passes = data.passes
    if not n:
        words = _("no answers yet, {passes}.").format(passes=_passes(passes))
    else:
        items = "; ".join(
            _("{value}: {count} ({percent})").format(
                value=_fmt(point), count=_count(count), percent=_pct(count, n)
            )
            for point, count in zip(question.points, _histogram(question, data), strict=True)
        )
        words = ngettext(
            "{count} answer on a scale from {min} ({low}) to {max} ({high}), {passes}. "
            "Median {median}; middle half from {q1} to {q3}. {items}.",
            "{count} answers on a scale from {min} ({low}) to {max} ({high}), {passes}. "
            "Median {median}; middle half from {q1} to {q3}. {items}.",
            n,
        ).format(
            count=_count(n),
            min=_fmt(question.min),
            low=question.low_label,
            max=_fmt(question.max),
            high=question.high_label,
            passes=_passes(passes),
            median=_fmt(data.median),
            q1=_fmt(data.q1),
            q3=_fmt(data.q3),
            items=items,
        )
    return _("{label}: {text}").format(label=label, text=words) if label else words


@_in_language
def describe_pre_post(
    question: ScaleQuestion,
    comparison: Mapping,
    *,
    hidden_from_participants: bool = False,
    below_minimum: int | None = None,
) -> str:
    """The numbers of ``PrePostComparison.as_dict()`` as plain text (see :class:`PrePostChart`)."""
    pre, post = _pre_post(question, comparison)
    parts = [_sentence(_(HIDDEN_LABEL))] if hidden_from_participants else []
    fewest = min(pre.n, post.n)
    if below_minimum is not None and fewest < below_minimum:
        parts.append(_sentence(_minimum_message(below_minimum, fewest)))
        return " ".join(parts)
    parts.append(_scale_words(question, pre, _("Before")))
    parts.append(_scale_words(question, post, _("After")))
    parts.append(_sentence(_shift_words(comparison)))
    parts.append(_sentence(_moved_words(question, comparison, sep=" ")))
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
        return _("median shift not known yet")
    pre_median = _fmt(comparison["pre"].get("median"))
    post_median = _fmt(comparison["post"].get("median"))
    sign = "+" if float(shift) > 0 else ""
    return _("Median moved from {before} to {after} ({shift})").format(
        before=pre_median, after=post_median, shift=f"{sign}{_fmt(shift)}"
    )


def _moved_words(question: ScaleQuestion, comparison: Mapping, sep: str = "\n") -> str:
    moved = comparison.get("moved") or {}
    paired = _int(comparison, "paired")
    high, low, same = (
        int(moved.get(key, 0)) for key in ("towards_high", "towards_low", "unchanged")
    )
    people = ngettext("{count} person", "{count} people", paired).format(count=_count(paired))
    return _("Of {people} who answered both times:{sep}{high}, {low}, {unchanged}").format(
        people=people,
        sep=sep,
        high=ngettext(
            "{count} moved towards “{pole}”", "{count} moved towards “{pole}”", high
        ).format(count=_count(high), pole=question.high_label),
        low=ngettext("{count} towards “{pole}”", "{count} towards “{pole}”", low).format(
            count=_count(low), pole=question.low_label
        ),
        unchanged=ngettext("{count} unchanged", "{count} unchanged", same).format(
            count=_count(same)
        ),
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


@_in_language
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
    banner = _(STATES[state]) if STATES[state] else ""
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
            _("Your answer: {answer}.").format(answer=_own_words(question, own_answer))
            if own_answer is not None
            else _("No answer yet.")
        )
    elif withheld:
        view["caption"] = _sentence(banner) if banner else _("No responses yet.")
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


@_in_language
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
    if below:
        banner = _minimum_message(min_group, fewest)  # type: ignore[arg-type]
    else:
        banner = _(STATES[state]) if STATES[state] else ""
    view: dict = {
        "kind": "pre-post",
        "title": _("Before and after: {title}").format(title=_title(question)),
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
        for name, data in ((_("Before"), pre), (_("After"), post)):
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
