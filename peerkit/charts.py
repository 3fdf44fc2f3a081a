"""Static charts for the record of a session (the HTML report, exports): PNG bytes, drawn once.

Live charts are drawn in the browser from the same view model (:mod:`peerkit.chartview`, drawn
by ``peerkit/static/chart.js``); this module draws that view model with matplotlib for places
that need an image. Drawing goes through the Agg renderer directly (a
:class:`~matplotlib.figure.Figure` and ``FigureCanvasAgg``, never pyplot), so it registers no
global figure. ``import peerkit`` does not import this module.

Colours come from the Okabe–Ito colour-blind-safe set, and nothing is told by colour alone:
every bar carries its count and percentage as text, and the caption (:func:`describe`) gives
the same numbers as plain text for the image's ``alt``.
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Mapping

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from peerkit.chartview import (
    HIDDEN_LABEL,
    ILLUSTRATIVE_LABEL,
    chart_view,
    describe,
    describe_pre_post,
    fmt,
    pre_post_view,
)
from peerkit.i18n import _, format_number, format_percent, ngettext
from peerkit.model import ChoiceQuestion, ScaleQuestion, Tally, TextQuestion

__all__ = [
    "HIDDEN_LABEL",
    "ILLUSTRATIVE_LABEL",
    "PALETTE",
    "describe",
    "describe_pre_post",
    "poll_png",
    "pre_post_png",
    "view_png",
]

#: The Okabe–Ito colour-blind-safe palette (Okabe & Ito, 2008), in its usual order.
PALETTE = (
    "#000000",  # black
    "#E69F00",  # orange
    "#56B4E9",  # sky blue
    "#009E73",  # bluish green
    "#F0E442",  # yellow
    "#0072B2",  # blue
    "#D55E00",  # vermillion
    "#CC79A7",  # reddish purple
)
_BLACK, _ORANGE, _SKY, _GREEN, _YELLOW, _BLUE, _VERMILLION, _PURPLE = PALETTE
_INK = "#222222"
#: Nothing smaller than this (points), so a projected or printed chart stays readable.
SMALLEST_PT = 11


def _png(fig: Figure) -> bytes:
    out = io.BytesIO()
    FigureCanvasAgg(fig).print_png(out)
    return out.getvalue()


def _header(fig: Figure, view: Mapping) -> None:
    fig.suptitle(view.get("title", ""), x=0.02, ha="left", fontsize=15, fontweight="bold")
    if view.get("status"):  # a note under the title
        fig.text(0.02, 0.86, view["status"], fontsize=SMALLEST_PT, color=_INK, style="italic")
    if view.get("banner"):
        fig.text(
            0.98,
            0.98,
            view["banner"],
            ha="right",
            va="top",
            fontsize=12,
            fontweight="bold",
            color=_BLACK,
            bbox={"boxstyle": "round,pad=0.3", "facecolor": _YELLOW, "edgecolor": _BLACK},
        )


def _choice(ax: Axes, view: Mapping) -> None:
    bars = view["bars"]
    rows = list(range(len(bars)))[::-1]
    colours = [_ORANGE if bar.get("own") else _BLUE for bar in bars]
    ax.barh(rows, [bar["percent"] for bar in bars], color=colours, edgecolor=_BLACK)
    labels = [
        f"{bar['letter']}. {textwrap.shorten(bar['label'], 30, placeholder='…')}" for bar in bars
    ]
    ax.set_yticks(rows, labels, fontsize=SMALLEST_PT)
    ax.set_xlim(0, 118)
    ax.set_xlabel(_("% of answers (passes not counted)"), fontsize=SMALLEST_PT)
    for row, bar in zip(rows, bars, strict=True):
        figures = {
            "count": format_number(bar["count"]),
            "percent": format_percent(bar["percent"] / 100),
        }
        words = (
            _("{count} ({percent}) · your answer") if bar.get("own") else _("{count} ({percent})")
        )
        ax.text(
            bar["percent"] + 1,
            row,
            words.format(**figures),
            va="center",
            fontsize=SMALLEST_PT,
            color=_INK,
        )
    passes = view.get("passes", 0)
    footer = ngettext("{count} passed", "{count} passed", passes).format(
        count=format_number(passes)
    )
    if view.get("lean"):
        footer = f"{footer} · {view['lean']['words']}"
    ax.figure.text(0.02, 0.03, footer, fontsize=SMALLEST_PT, color=_INK)


def _columns(
    ax: Axes,
    scale: Mapping,
    points: list,
    *,
    label: str = "",
    offset: float = 0.0,
    width: float = 0.7,
    colour: str = _BLUE,
    hatch: str | None = None,
) -> None:
    values = [p["value"] for p in points]
    counts = [p["count"] for p in points]
    step = (values[1] - values[0]) if len(values) > 1 else 1.0
    xs = [v + offset * step for v in values]
    ax.bar(
        xs,
        counts,
        width=width * step,
        color=colour,
        edgecolor=_BLACK,
        hatch=hatch,
        label=label or None,
    )
    for x, count in zip(xs, counts, strict=True):
        if count:
            ax.text(x, count, format_number(count), ha="center", va="bottom", fontsize=SMALLEST_PT)
    ax.set_ylim(0, max(ax.get_ylim()[1], max([1, *counts]) * 1.25))  # room for the counts
    ax.set_xticks(values, [fmt(v) for v in values], fontsize=SMALLEST_PT)
    ax.set_xlabel(f"◀ {scale['low']}   ·   {scale['high']} ▶", fontsize=SMALLEST_PT)
    ax.yaxis.set_visible(False)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)


def _scale(ax: Axes, view: Mapping) -> None:
    scale = view["scale"]
    if scale.get("q1") is not None and scale.get("q3") is not None:
        ax.axvspan(scale["q1"] - 0.1, scale["q3"] + 0.1, color=_SKY, alpha=0.3)
    _columns(ax, scale, scale["points"])
    if scale.get("median") is not None:
        ax.axvline(scale["median"], color=_BLACK, linestyle="--", linewidth=2)
        answered, passes = view.get("answered", 0), view.get("passes", 0)
        ax.set_title(
            ngettext(
                "median {median} (dashed) · middle half shaded · {count} answered, {passes}",
                "median {median} (dashed) · middle half shaded · {count} answered, {passes}",
                answered,
            ).format(
                median=fmt(scale["median"]),
                count=format_number(answered),
                passes=ngettext("{count} passed", "{count} passed", passes).format(
                    count=format_number(passes)
                ),
            ),
            loc="left",
            fontsize=SMALLEST_PT,
        )


def _pre_post(ax: Axes, view: Mapping) -> None:
    styles = [(-0.2, _ORANGE, "//"), (0.2, _BLUE, None)]
    for series, (offset, colour, hatch) in zip(view["series"], styles, strict=True):
        _columns(
            ax,
            view["scale"],
            series["points"],
            label=_("{label} ({count})").format(
                label=series["label"], count=format_number(series["n"])
            ),
            offset=offset,
            width=0.38,
            colour=colour,
            hatch=hatch,
        )
    ax.legend(fontsize=SMALLEST_PT, frameon=False, loc="upper left")
    ax.set_title(view["shift"]["words"], loc="left", fontsize=SMALLEST_PT)


def view_png(view: Mapping, *, width: float = 7.5, dpi: int = 100) -> bytes:
    """A chart view model (:func:`peerkit.chartview.chart_view` or ``pre_post_view``) as PNG."""
    kind = view.get("kind")
    drawn = (
        (kind == "choice" and any("count" in bar for bar in view.get("bars", ())))
        or (kind == "scale" and "points" in view.get("scale", {}))
        or (kind == "pre-post" and "series" in view)
    )
    rows = len(view.get("bars", ())) if kind == "choice" else 4
    fig = Figure(figsize=(width, 1.6 + 0.55 * rows if drawn else 2.2), dpi=dpi)
    _header(fig, view)
    if not drawn:
        message = textwrap.fill(
            view.get("banner") or view.get("caption") or _("No responses yet."), 60
        )
        fig.text(0.5, 0.45, message, ha="center", va="center", fontsize=14, color=_INK)
        return _png(fig)
    ax = fig.add_axes((0.4, 0.2, 0.56, 0.62) if kind == "choice" else (0.05, 0.2, 0.9, 0.58))
    {"choice": _choice, "scale": _scale, "pre-post": _pre_post}[kind](ax, view)
    return _png(fig)


def poll_png(
    question: ChoiceQuestion | ScaleQuestion | TextQuestion,
    tally: Tally | None,
    *,
    below_minimum: int | None = None,
    hidden_from_participants: bool = False,
) -> bytes:
    """One question's results as PNG: the group's answers, or the waiting message when fewer
    than ``below_minimum`` answered."""
    answered = tally.answered if tally is not None else 0
    state = (
        "below-minimum"
        if below_minimum is not None and answered < below_minimum
        else "hidden"
        if hidden_from_participants
        else "shown"
    )
    return view_png(chart_view(question, tally, state=state, min_group=below_minimum))


def pre_post_png(
    question: ScaleQuestion,
    comparison: Mapping,
    *,
    below_minimum: int | None = None,
    note: str = "",
) -> bytes:
    """How one scale moved between its "pre" and "post" questions, as PNG, with an optional
    ``note`` under the title."""
    return view_png(pre_post_view(question, comparison, min_group=below_minimum, status=note))
