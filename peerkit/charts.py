"""Poll results as matplotlib figures, PNG bytes and plain-text descriptions.

Everything here works on the JSON-shaped tally dicts that ``Tally.as_dict()`` produces (the poll
service and the local store both hand those to widgets), and on ``PrePostComparison.as_dict()``
for the before/after chart. Nothing reads or writes a file or opens a socket: a chart returns PNG
bytes and the caller decides where they go.

Drawing goes through the Agg renderer directly (:class:`matplotlib.figure.Figure` plus
``FigureCanvasAgg``), never through pyplot, so charts work without a display, register no global
figure and leave matplotlib's global state alone. ``import peerkit`` does not import this module;
matplotlib loads when a notebook first asks for a chart.

Speed: a live poll redraws every time a response arrives. Each chart keeps one figure for its
whole life. The parts that stay the same between updates (title, option labels, axes, the
spectrum strip) are drawn once into a background; an update restores that background and draws
only the parts that change (bars, counts, the lean marker, the subtitle) before encoding the PNG.
Text is the expensive part of an Agg draw, so this is what keeps an update cheap. The background
is redrawn only when the layout changes (hidden banner, own answer, illustrative mode, note).

Accessibility: colours come from the Okabe–Ito colour-blind-safe set, and nothing is told by
colour alone: every bar carries its count and percentage as text, passes and illustrative data are
hatched as well as tinted, and "Your answer" is written out. All text is at least 11 pt so it can
be read on a projector, and :func:`describe` gives the same numbers as plain text for screen
readers and for the caption beside each chart.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Mapping, Sequence

from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.patches import Rectangle
from PIL import Image

from peerkit.chartview import (  # noqa: F401 - describe* are re-exported
    HIDDEN_LABEL,
    HIGH_END,
    ILLUSTRATIVE_LABEL,
    LOW_END,
    PASS_LABEL,
    YOUR_ANSWER,
    TallyDict,
    _answered,
    _check_tally,
    _choice_counts,
    _fmt,
    _histogram,
    _int,
    _lean_words,
    _minimum_message,
    _moved_words,
    _own_index,
    _own_value,
    _own_words,
    _passes,
    _pct,
    _pick,
    _plural,
    _pre_post,
    _scale_words,
    _shift_words,
    _title,
    _withheld,
    describe,
    describe_pre_post,
)
from peerkit.model import ChoiceQuestion, ScaleQuestion, TextQuestion

__all__ = [
    "HIDDEN_LABEL",
    "ILLUSTRATIVE_LABEL",
    "PALETTE",
    "PollChart",
    "PrePostChart",
    "describe",
    "describe_pre_post",
    "pre_post_png",
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
_GREY = "#BDBDBD"  # passes: a neutral, outside the data colours
_INK = "#222222"
_MUTED = "#4D4D4D"  # still 8:1 against white


# Font sizes in points; nothing below 11 so a projected chart stays readable.
_TITLE_PT = 15
_BODY_PT = 12
_SMALL_PT = 11
_MESSAGE_PT = 16

# Fixed margins in inches (constrained/tight layout would cost more than a whole update).
_EDGE = 0.15
_HEADER = 0.8
_NOTE = 0.3
_FLAG = 0.3  # the "Illustrative example group" line under the title
_STRIP = 0.72
_SCALE_AXIS = 0.62  # tick labels plus the pole labels under a scale's x-axis
_PAD_PX = 6.0  # gap between a bar's end and its count


# --------------------------------------------------------------------------- figure base


class _Chart:
    """One Agg figure with a header (title, subtitle, banner), a note line and a message.

    Subclasses build a layout with :meth:`_layout`, which draws the static parts once into a
    background and returns the artists that change; :meth:`_blit_png` then draws those over the
    background.
    """

    def __init__(self, width: float, height: float, dpi: int) -> None:
        if not (width > 0 and height > 0 and dpi > 0):
            raise ValueError("width, height and dpi must be positive")
        self._w, self._h, self._dpi = float(width), float(height), int(dpi)
        self._fig = Figure(figsize=(width, height), dpi=dpi, layout=None, facecolor="white")
        self._canvas = FigureCanvasAgg(self._fig)
        fig = self._fig
        top = 1 - _EDGE / height
        left = _EDGE / width
        self._title = fig.text(
            left, top, "", ha="left", va="top", fontsize=_TITLE_PT, fontweight="bold", color=_INK
        )
        self._subtitle = fig.text(
            left, top - 0.36 / height, "", ha="left", va="top", fontsize=_SMALL_PT, color=_MUTED
        )
        self._banner = fig.text(
            1 - (_EDGE + 0.06) / width,
            top - 0.03 / height,
            HIDDEN_LABEL,
            ha="right",
            va="top",
            fontsize=_BODY_PT,
            fontweight="bold",
            color=_BLACK,
            bbox={
                "boxstyle": "round,pad=0.35",
                "facecolor": _YELLOW,
                "edgecolor": _BLACK,
                "linewidth": 2,
            },
        )
        self._flag = fig.text(
            left + 0.04 / width,
            top - 0.38 / height,
            ILLUSTRATIVE_LABEL,
            ha="left",
            va="top",
            fontsize=_SMALL_PT,
            fontweight="bold",
            color=_INK,
            bbox={
                "boxstyle": "square,pad=0.25",
                "facecolor": "#D5ECF9",  # sky blue, tinted
                "edgecolor": _BLACK,
                "linestyle": ":",
            },
            visible=False,
        )
        self._message = fig.text(
            0.5, 0.45, "", ha="center", va="center", fontsize=_MESSAGE_PT, color=_INK
        )
        self._message.set_multialignment("center")
        self._note = fig.text(
            left,
            0.6 * _EDGE / height,
            "",
            ha="left",
            va="bottom",
            fontsize=_SMALL_PT,
            color=_MUTED,
            style="italic",
        )
        self._axes: list[Axes] = []
        self._char_px: dict[tuple[str, float, bool], float] = {}
        self._key: object = None
        self._background: object = None
        self._dynamic: list[Artist] = []
        self._closed = False

    @property
    def figure(self) -> Figure:
        """The one figure this chart draws on (the same object for every render)."""
        return self._fig

    def close(self) -> None:
        """Release the figure's artists; ``render`` raises ``RuntimeError`` afterwards."""
        if not self._closed:
            self._fig.clear()
            self._background = None
            self._dynamic = []
            self._closed = True

    # ------------------------------------------------------------------ measuring text

    def _width_px(self, text: str, points: float, *, bold: bool = False) -> float:
        prop = FontProperties(size=points, weight="bold" if bold else "normal")
        width, _height, _descent = self._canvas.get_renderer().get_text_width_height_descent(
            text, prop, ismath=False
        )
        return width

    def _quick_width_px(self, text: str, points: float, *, bold: bool = False) -> float:
        """A close upper estimate of a text's width from cached per-character widths.

        Measuring a whole string means shaping it, which costs about as much as drawing it; an
        update measures its count labels this way instead.
        """
        cache = self._char_px
        total = 0.0
        for char in text:
            key = (char, points, bold)
            width = cache.get(key)
            if width is None:
                width = cache[key] = self._width_px(char, points, bold=bold)
            total += width
        return total * 1.03

    def _fit(
        self, text: str, max_px: float, points: float, *, bold: bool = False, lines: int = 1
    ) -> str:
        """``text`` wrapped into at most ``lines`` lines of ``max_px``, ending "…" if cut."""
        text = " ".join(text.split())
        if self._width_px(text, points, bold=bold) <= max_px:  # the usual case: one measurement
            return text
        # Wrap by the per-character estimate: shaping every candidate line would cost more
        # than drawing the chart.
        words = text.split()
        rows: list[str] = []
        i = 0
        while i < len(words) and len(rows) < lines:
            row = words[i]
            i += 1
            while i < len(words):
                candidate = f"{row} {words[i]}"
                if self._quick_width_px(candidate, points, bold=bold) > max_px:
                    break
                row = candidate
                i += 1
            rows.append(row)
        if rows and (i < len(words) or self._quick_width_px(rows[-1], points, bold=bold) > max_px):
            last = rows[-1]
            while len(last) > 1 and self._quick_width_px(last + "…", points, bold=bold) > max_px:
                last = last.rsplit(" ", 1)[0] if " " in last else last[:-1]
            rows[-1] = last.rstrip(" ,;:.") + "…"
        return "\n".join(rows)

    # ------------------------------------------------------------------ layout and drawing

    def _rect(self, left: float, bottom: float, right: float, top: float) -> tuple[float, ...]:
        """An axes rectangle in figure fractions from margins in inches."""
        w, h = self._w, self._h
        return (
            left / w,
            bottom / h,
            max(0.02, (w - left - right) / w),
            max(0.02, (h - bottom - top) / h),
        )

    def _header_h(self, example: bool) -> float:
        """Height of the header in inches: title, subtitle and, for examples, the flag line."""
        return _HEADER + (_FLAG if example else 0.0)

    def _header(self, title: str, *, hidden: bool, note: str, example: bool = False) -> None:
        room = (self._w - 2 * _EDGE) * self._dpi
        if hidden:
            room -= self._width_px(HIDDEN_LABEL, _BODY_PT, bold=True) + 0.35 * self._dpi
        self._title.set_text(self._fit(title, room, _TITLE_PT, bold=True))
        self._banner.set_visible(hidden)
        full = (self._w - 2 * _EDGE) * self._dpi
        self._note.set_text(self._fit(note, full, _SMALL_PT) if note else "")
        self._flag.set_visible(example)
        top = 1 - _EDGE / self._h
        self._subtitle.set_y(top - (0.36 + (_FLAG if example else 0.0)) / self._h)

    def _set_subtitle(self, text: str) -> None:
        room = (self._w - 2 * _EDGE) * self._dpi
        self._subtitle.set_text(self._fit(text, room, _SMALL_PT))

    def _layout(self, key: object, build: Callable[[], list[Artist]]) -> None:
        """Draw the static background for ``key`` unless it is already the current one."""
        if key == self._key:
            return
        self._message.set_visible(False)
        for ax in self._axes:
            ax.cla()
            ax.set_visible(False)
        dynamic = [*build(), self._subtitle]
        for artist in dynamic:
            artist.set_visible(False)
        self._canvas.draw()
        self._background = self._canvas.copy_from_bbox(self._fig.bbox)
        for artist in dynamic:
            artist.set_visible(True)
        self._dynamic = dynamic
        self._key = key

    def _blit_png(self) -> bytes:
        self._canvas.restore_region(self._background)
        renderer = self._canvas.get_renderer()
        for artist in self._dynamic:
            if artist.get_visible():
                artist.draw(renderer)
        return self._encode()

    def _message_png(
        self, title: str, subtitle: str, message: str, *, hidden: bool, note: str, example: bool
    ) -> bytes:
        """A figure with no data on it, only a message (waiting, withheld, a text question)."""
        key = ("message", title, hidden, note, example)

        def build() -> list[Artist]:
            self._header(title, hidden=hidden, note=note, example=example)
            return [self._message]

        self._layout(key, build)
        self._set_subtitle(subtitle)
        room = (self._w - 4 * _EDGE) * self._dpi
        # Keep a closing "(n so far)" together on its own line rather than splitting it.
        if (
            self._width_px(message, _MESSAGE_PT) > room
            and message.endswith(")")
            and " (" in message
        ):
            head, tail = message.rsplit(" (", 1)
            message = self._fit(head, room, _MESSAGE_PT, lines=2) + "\n(" + tail
        else:
            message = self._fit(message, room, _MESSAGE_PT, lines=3)
        self._message.set_text(message)
        return self._blit_png()

    def _encode(self) -> bytes:
        # What print_png does, minus a second full draw: the canvas already holds the image.
        # RGB, because the figure is opaque. On these flat-colour charts compress_level 3 is
        # faster than Pillow's default 6 and no larger (6.2 ms / 38 KB against 9.1 ms / 41 KB).
        width, height = self._canvas.get_width_height(physical=True)
        image = Image.frombuffer(
            "RGBA", (width, height), self._canvas.buffer_rgba(), "raw", "RGBA", 0, 1
        ).convert("RGB")
        buffer = io.BytesIO()
        image.save(buffer, format="png", compress_level=3)
        return buffer.getvalue()

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError("this chart has been closed")


# --------------------------------------------------------------------------- poll chart


class PollChart(_Chart):
    """One reusable figure for one question; :meth:`render` redraws in place and returns PNG bytes.

    ``render`` takes the JSON-shaped tally (``Tally.as_dict()``), or ``None`` while nothing has
    arrived. Keep one ``PollChart`` per question on screen and :meth:`close` it when the question
    goes away.
    """

    def __init__(
        self,
        question: ChoiceQuestion | ScaleQuestion | TextQuestion,
        *,
        width: float = 7.0,
        height: float = 3.6,
        dpi: int = 100,
    ) -> None:
        if not isinstance(question, (ChoiceQuestion, ScaleQuestion, TextQuestion)):
            raise TypeError(f"PollChart needs a question, got {type(question).__name__}")
        super().__init__(width, height, dpi)
        self.question = question
        self._ax = self._fig.add_axes((0.1, 0.1, 0.8, 0.8))
        self._axes.append(self._ax)
        self._strip: Axes | None = None
        if isinstance(question, ChoiceQuestion) and any(
            option.position is not None for option in question.options
        ):
            self._strip = self._fig.add_axes((0.1, 0.0, 0.8, 0.1))
            self._axes.append(self._strip)
        self._parts: dict[str, object] = {}

    def render(
        self,
        tally: TallyDict | None,
        *,
        hidden_from_participants: bool = False,
        below_minimum: int | None = None,
        illustrative: TallyDict | None = None,
        own_answer: object = None,
        note: str = "",
    ) -> bytes:
        """Redraw for ``tally`` and return the figure as PNG bytes.

        ``hidden_from_participants`` writes "Hidden from participants" on the figure (the
        facilitator's view before reveal). ``below_minimum=k`` shows a waiting message instead of
        the results while fewer than ``k`` people have answered (passes do not count, as in
        :func:`peerkit.model.results_visible`). ``illustrative`` (solo mode) is an example tally
        drawn in place of real results and labelled as such; give ``tally=None`` with it.
        ``own_answer`` (an option id, a scale value or ``"pass"``) is marked "Your answer".
        ``note`` is a line of small print at the bottom.
        """
        self._check_open()
        question = self.question
        data = _pick(question, tally, illustrative)
        example = illustrative is not None
        hidden = bool(hidden_from_participants)
        title = _title(question)
        if below_minimum is not None and _withheld(question, data, below_minimum):
            return self._message_png(
                title,
                "Waiting for answers",
                _minimum_message(below_minimum, _answered(question, data)),
                hidden=hidden,
                note=note,
                example=example,
            )
        if data is None:
            return self._message_png(
                title,
                "Waiting for answers",
                "No responses yet",
                hidden=hidden,
                note=note,
                example=False,
            )
        if isinstance(question, TextQuestion):
            n, passes = _int(data, "n"), _int(data, "passes")
            return self._message_png(
                title,
                "The reflections themselves are shown as text",
                f"{_plural(n, 'reflection')}, {_passes(passes)}",
                hidden=hidden,
                note=note,
                example=example,
            )
        if not _answered(question, data):
            passes = _int(data, "passes")
            return self._message_png(
                title,
                "Waiting for answers",
                f"No answers yet ({_passes(passes)})" if passes else "No answers yet",
                hidden=hidden,
                note=note,
                example=example,
            )
        if isinstance(question, ChoiceQuestion):
            own = _own_index(question, own_answer)
            # The strip stays while no lean is known (only unplaced options chosen), so the
            # layout does not jump when the first placed answer arrives.
            strip = self._strip is not None
            key = ("choice", hidden, example, own, note, strip)
            self._layout(
                key, lambda: self._build_choice(question, example, own, strip, hidden, note)
            )
            subtitle = self._update_choice(question, data, own)
        else:
            own_value = _own_value(question, own_answer)
            key = ("scale", hidden, example, own_value, note)
            self._layout(key, lambda: self._build_scale(question, example, own_value, hidden, note))
            subtitle = self._update_scale(question, data, own_value)
        self._set_subtitle(subtitle)
        return self._blit_png()

    # ------------------------------------------------------------------ choice

    def _build_choice(
        self,
        question: ChoiceQuestion,
        example: bool,
        own: int | None,
        strip: bool,
        hidden: bool,
        note: str,
    ) -> list[Artist]:
        self._header(_title(question), hidden=hidden, note=note, example=example)
        ax = self._ax
        ax.set_visible(True)
        bottom = _EDGE + (_NOTE if note else 0.0)
        label_w = 0.4 * self._w
        strip_h = _STRIP if strip else 0.0
        rect = self._rect(label_w, bottom + strip_h, _EDGE, self._header_h(example))
        ax.set_position(rect)
        rows = len(question.options) + 1
        ys = list(range(rows))

        # Option labels: id and as much text as fits, on two lines where the rows allow it.
        row_px = rect[3] * self._h * self._dpi / rows
        line_px = _SMALL_PT * self._dpi / 72 * 1.2
        lines = 2 if row_px >= 2.25 * line_px else 1
        room = (label_w - _EDGE - 0.1) * self._dpi
        labels = [
            self._fit(
                f"{option.id}. {' '.join(option.text.split())}",
                room,
                _SMALL_PT,
                bold=own == i,
                lines=lines,
            )
            for i, option in enumerate(question.options)
        ] + [PASS_LABEL]
        ax.set_yticks(ys, labels, fontsize=_SMALL_PT, color=_INK)
        for i, tick in enumerate(ax.get_yticklabels()):
            tick.set_multialignment("left")
            if i == own:
                tick.set_fontweight("bold")
        ax.tick_params(axis="y", length=0, pad=6)
        ax.set_ylim(rows - 0.5, -0.5)
        ax.xaxis.set_visible(False)
        for side in ("top", "right", "bottom"):
            ax.spines[side].set_visible(False)

        bars = ax.barh(
            ys,
            [0] * rows,
            height=0.66,
            color=_SKY if example else _BLUE,
            edgecolor=_BLACK,
            linewidth=1,
        ).patches
        for bar in bars[:-1]:
            bar.set_hatch(".." if example else None)
        bars[-1].set_facecolor(_GREY)
        bars[-1].set_hatch("//")
        if own is not None:
            bars[own].set_facecolor(_VERMILLION)
            bars[own].set_hatch("xx")
            bars[own].set_linewidth(2)
        counts = [
            ax.text(
                0,
                y,
                "",
                va="center",
                ha="left",
                fontsize=_BODY_PT,
                color=_INK,
                fontweight="bold" if y == own else "normal",
            )
            for y in ys
        ]
        dynamic: list[Artist] = [*bars, *counts]
        self._parts = {"bars": bars, "counts": counts, "area_px": rect[2] * self._w * self._dpi}
        if strip:
            dynamic += self._build_strip(bottom)
        return dynamic

    def _build_strip(self, bottom: float) -> list[Artist]:
        strip = self._strip
        assert strip is not None
        strip.set_visible(True)
        # Wider than the bars: the two pole labels need the room.
        left = _EDGE + self._width_px("group leans", _SMALL_PT) / self._dpi + 0.3
        strip.set_position(self._rect(left, bottom, _EDGE, self._h - bottom - _STRIP + 0.05))
        strip.set_xlim(-0.3, 10.3)
        strip.set_ylim(0, 1)
        strip.set_axis_off()
        line_y = 0.52
        strip.plot([0, 10], [line_y, line_y], color=_MUTED, linewidth=2, solid_capstyle="butt")
        strip.plot(
            range(11), [line_y] * 11, linestyle="none", marker="|", markersize=8, color=_MUTED
        )
        strip.text(0, 0.1, f"◀ 0 {LOW_END}", ha="left", va="center", fontsize=_SMALL_PT, color=_INK)
        strip.text(
            10, 0.1, f"{HIGH_END} 10 ▶", ha="right", va="center", fontsize=_SMALL_PT, color=_INK
        )
        strip.text(
            -0.35,
            line_y,
            "Where the\ngroup leans",
            ha="right",
            va="center",
            fontsize=_SMALL_PT,
            color=_INK,
            multialignment="right",
        )
        (marker,) = strip.plot(
            [5],
            [line_y + 0.15],
            linestyle="none",
            marker="v",
            markersize=13,
            color=_VERMILLION,
            markeredgecolor=_BLACK,
            clip_on=False,
        )
        label = strip.text(
            5, line_y + 0.38, "", va="center", fontsize=_BODY_PT, fontweight="bold", color=_INK
        )
        self._parts.update(marker=marker, lean_label=label)
        return [marker, label]

    def _update_choice(self, question: ChoiceQuestion, data: Mapping, own: int | None) -> str:
        counts = _choice_counts(question, data)
        passes = _int(data, "passes")
        answered = sum(counts)
        widths = [*counts, passes]
        texts = [f"{count} ({_pct(count, answered)})" for count in counts]
        texts.append(f"{passes} (not in %)")
        if own is not None:
            texts[own] += f"  ◀ {YOUR_ANSWER}"

        # Scale the bars so every count still fits to the right of its bar.
        area = float(self._parts["area_px"])  # type: ignore[arg-type]
        limit = 1.0
        for row, (count, text) in enumerate(zip(widths, texts, strict=True)):
            need_px = self._quick_width_px(text, _BODY_PT, bold=row == own) + _PAD_PX + 4
            if need_px < 0.8 * area:
                limit = max(limit, count * area / (area - need_px))
        self._ax.set_xlim(0, limit)
        pad = limit * _PAD_PX / area
        bars: Sequence[Rectangle] = self._parts["bars"]  # type: ignore[assignment]
        labels: Sequence[Artist] = self._parts["counts"]  # type: ignore[assignment]
        for bar, label, count, text in zip(bars, labels, widths, texts, strict=True):
            bar.set_width(count)
            label.set_x(count + pad)
            label.set_text(text)

        lean = data.get("lean")
        if "marker" in self._parts:
            marker = self._parts["marker"]
            label = self._parts["lean_label"]
            marker.set_visible(lean is not None)  # type: ignore[attr-defined]
            if lean is None:
                label.set_x(5)  # type: ignore[attr-defined]
                label.set_horizontalalignment("center")  # type: ignore[attr-defined]
                label.set_text("No lean yet")  # type: ignore[attr-defined]
            else:
                value = min(10.0, max(0.0, float(lean)))  # type: ignore[arg-type]
                marker.set_xdata([value])  # type: ignore[attr-defined]
                right = value <= 5
                label.set_x(value + (0.3 if right else -0.3))  # type: ignore[attr-defined]
                label.set_horizontalalignment("left" if right else "right")  # type: ignore[attr-defined]
                label.set_text(f"Group leans: {_fmt(round(value, 1))}")  # type: ignore[attr-defined]
        return f"{_plural(answered, 'answer')} · {_passes(passes)}"

    # ------------------------------------------------------------------ scale

    def _build_scale(
        self, question: ScaleQuestion, example: bool, own: float | None, hidden: bool, note: str
    ) -> list[Artist]:
        self._header(_title(question), hidden=hidden, note=note, example=example)
        ax = self._ax
        ax.set_visible(True)
        bottom = _EDGE + (_NOTE if note else 0.0)
        top = self._header_h(example) + 0.28
        ax.set_position(self._rect(0.4, bottom + _SCALE_AXIS, 0.4, top))
        _scale_axes(ax, question)
        ax.set_ylim(0, 1)
        span = Rectangle(
            (0, 0),
            0,
            1,
            transform=ax.get_xaxis_transform(),
            facecolor=_YELLOW,
            alpha=0.5,
            edgecolor="none",
            zorder=0,
        )
        ax.add_patch(span)
        bars = ax.bar(
            question.points,
            [0] * len(question.points),
            width=0.72 * question.step,
            color=_SKY if example else _BLUE,
            edgecolor=_BLACK,
            linewidth=1,
            hatch=".." if example else None,
            zorder=2,
        ).patches
        if own is not None:
            mine = bars[question.points.index(own)]
            mine.set_facecolor(_VERMILLION)
            mine.set_hatch("xx")
            mine.set_linewidth(2)
        counts = [
            ax.text(
                point,
                0,
                "",
                ha="center",
                va="bottom",
                fontsize=_BODY_PT,
                color=_INK,
                zorder=4,
                fontweight="bold" if point == own else "normal",
                bbox={"boxstyle": "square,pad=0.1", "facecolor": "white", "edgecolor": "none"},
            )
            for point in question.points
        ]
        median = ax.axvline(0, color=_BLACK, linestyle="--", linewidth=2.2, zorder=3)
        median_label = ax.annotate(
            "",
            xy=(0, 1),
            xycoords=("data", "axes fraction"),
            xytext=(0, 4),
            textcoords="offset points",
            ha="center",
            va="bottom",
            fontsize=_BODY_PT,
            fontweight="bold",
            color=_INK,
        )
        dynamic: list[Artist] = [span, *bars, median, *counts, median_label]
        self._parts = {
            "span": span,
            "bars": bars,
            "counts": counts,
            "median": median,
            "median_label": median_label,
        }
        if own is not None:
            low, high = question.min, question.max
            align = "center"
            if own - low < 0.12 * (high - low):
                align = "left"
            elif high - own < 0.12 * (high - low):
                align = "right"
            offset = {"center": 0.0, "left": -0.4, "right": 0.4}[align] * question.step
            you = ax.annotate(
                YOUR_ANSWER,
                xy=(own, 0),
                xytext=(own + offset, 0.97),
                textcoords=("data", "axes fraction"),
                ha=align,
                va="top",
                fontsize=_SMALL_PT,
                fontweight="bold",
                color=_INK,
                zorder=6,
                bbox={
                    "boxstyle": "round,pad=0.2",
                    "facecolor": "white",
                    "edgecolor": _VERMILLION,
                    "linewidth": 1.5,
                },
                arrowprops={
                    "arrowstyle": "-|>",
                    "color": _BLACK,
                    "linewidth": 1.5,
                    "shrinkA": 2,
                    "shrinkB": 22,
                },
            )
            self._parts["you"] = you
            dynamic.append(you)
        return dynamic

    def _update_scale(self, question: ScaleQuestion, data: Mapping, own: float | None) -> str:
        counts = _histogram(question, data)
        n, passes = _int(data, "n"), _int(data, "passes")
        top = max(counts) if counts else 0
        self._ax.set_ylim(0, max(top, 1) * 1.65 + 0.2)
        lift = max(top, 1) * 0.03
        bars: Sequence[Rectangle] = self._parts["bars"]  # type: ignore[assignment]
        labels: Sequence[Artist] = self._parts["counts"]  # type: ignore[assignment]
        for point, bar, label, count in zip(question.points, bars, labels, counts, strict=True):
            bar.set_height(count)
            label.set_y(count + lift)
            label.set_text(str(count))
            label.set_visible(bool(count) or point == own)
        if "you" in self._parts and own is not None:
            you = self._parts["you"]
            you.xy = (own, counts[question.points.index(own)])  # type: ignore[attr-defined]
        span: Rectangle = self._parts["span"]  # type: ignore[assignment]
        median_line = self._parts["median"]
        median_label = self._parts["median_label"]
        median, q1, q3 = data.get("median"), data.get("q1"), data.get("q3")
        subtitle = f"{_plural(n, 'answer')} · {_passes(passes)}"
        shown = bool(n) and median is not None
        for artist in (span, median_line, median_label):
            artist.set_visible(shown)  # type: ignore[attr-defined]
        if shown:
            m = float(median)  # type: ignore[arg-type]
            median_line.set_xdata([m, m])  # type: ignore[attr-defined]
            median_label.xy = (m, 1)  # type: ignore[attr-defined]
            median_label.set_text(f"median {_fmt(m)}")  # type: ignore[attr-defined]
            subtitle += " · dashed line: median"
            if q1 is not None and q3 is not None:
                low, high = float(q1), float(q3)  # type: ignore[arg-type]
                if high - low < 0.1 * question.step:
                    low, high = low - 0.05 * question.step, high + 0.05 * question.step
                span.set_x(low)
                span.set_width(high - low)
                subtitle += f" · shaded: middle half, {_fmt(q1)} to {_fmt(q3)}"
            else:
                span.set_visible(False)
        return subtitle


def _scale_axes(ax: Axes, question: ScaleQuestion) -> None:
    """An x-axis over the scale's points, with the two poles written under its ends."""
    points = question.points
    every = max(1, math.ceil(len(points) / 11))
    shown = list(points[::every])
    if shown[-1] != points[-1]:
        shown.append(points[-1])
    ax.set_xticks(shown, [_fmt(point) for point in shown], fontsize=_SMALL_PT, color=_INK)
    ax.set_xlim(question.min - 0.6 * question.step, question.max + 0.6 * question.step)
    ax.tick_params(axis="x", length=4, color=_MUTED)
    ax.yaxis.set_visible(False)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    for x, text, align in (
        (0, f"◀ {question.low_label}", "left"),
        (1, f"{question.high_label} ▶", "right"),
    ):
        ax.annotate(
            text,
            xy=(x, 0),
            xycoords="axes fraction",
            xytext=(0, -24),
            textcoords="offset points",
            ha=align,
            va="top",
            fontsize=_BODY_PT,
            color=_INK,
        )


# --------------------------------------------------------------------------- before / after


class PrePostChart(_Chart):
    """Before and after distributions of one scale side by side, redrawn in place.

    :meth:`render` takes ``PrePostComparison.as_dict()``: the two tallies, the median shift and
    how many paired participants moved towards each pole. Each median is drawn as a line in its
    own style and labelled in words.
    """

    def __init__(
        self, question: ScaleQuestion, *, width: float = 7.0, height: float = 4.2, dpi: int = 100
    ) -> None:
        if not isinstance(question, ScaleQuestion):
            raise TypeError(f"PrePostChart needs a ScaleQuestion, got {type(question).__name__}")
        super().__init__(width, height, dpi)
        self.question = question
        self._ax = self._fig.add_axes((0.1, 0.1, 0.8, 0.8))
        self._axes.append(self._ax)
        self._footer = self._fig.text(
            _EDGE / width, 0, "", ha="left", va="bottom", fontsize=_SMALL_PT, color=_INK
        )
        self._parts: dict[str, object] = {}

    def render(
        self,
        comparison: Mapping,
        *,
        hidden_from_participants: bool = False,
        below_minimum: int | None = None,
        note: str = "",
    ) -> bytes:
        """Redraw for ``comparison`` and return PNG bytes.

        With ``below_minimum=k`` the chart shows a waiting message until both rounds have at
        least ``k`` answers.
        """
        self._check_open()
        question = self.question
        pre, post = _pre_post(question, comparison)
        hidden = bool(hidden_from_participants)
        title = f"Before and after: {_title(question)}"
        fewest = min(_int(pre, "n"), _int(post, "n"))
        if below_minimum is not None and fewest < below_minimum:
            self._footer.set_visible(False)
            return self._message_png(
                title,
                "Waiting for answers",
                _minimum_message(below_minimum, fewest),
                hidden=hidden,
                note=note,
                example=False,
            )
        self._layout(("pre-post", hidden, note), lambda: self._build(title, hidden, note))
        self._update(pre, post, comparison)
        return self._blit_png()

    def _build(self, title: str, hidden: bool, note: str) -> list[Artist]:
        question = self.question
        self._header(title, hidden=hidden, note=note)
        ax = self._ax
        ax.set_visible(True)
        bottom = _EDGE + (_NOTE if note else 0.0)
        footer_h = 0.72  # up to three lines
        self._footer.set_position((_EDGE / self._w, bottom / self._h))
        ax.set_position(self._rect(0.4, bottom + footer_h + _SCALE_AXIS, 0.4, _HEADER + 0.42))
        _scale_axes(ax, question)
        ax.set_ylim(0, 1)
        step = question.step
        dynamic: list[Artist] = []
        series = []
        for name, offset, colour, hatch in (
            ("Before", -0.2, _ORANGE, "//"),
            ("After", 0.2, _BLUE, None),
        ):
            xs = [point + offset * step for point in question.points]
            bars = ax.bar(
                xs,
                [0] * len(xs),
                width=0.38 * step,
                color=colour,
                edgecolor=_BLACK,
                linewidth=1,
                hatch=hatch,
                label=name,
                zorder=2,
            )
            counts = [
                ax.text(
                    x, 0, "", ha="center", va="bottom", fontsize=_SMALL_PT, color=_INK, zorder=4
                )
                for x in xs
            ]
            series.append((bars.patches, counts))
        ax.legend(
            loc="lower left",
            bbox_to_anchor=(0, 1.02),
            ncols=2,
            fontsize=_SMALL_PT,
            frameon=False,
            borderaxespad=0,
            handlelength=2.2,
            handleheight=1.2,
            columnspacing=1.5,
        )
        # Drawn in this order over the background: bars, then lines, then text on top.
        dynamic += [bar for bars, _counts in series for bar in bars]
        lines: list[Artist] = []
        labels: list[Artist] = [label for _bars, counts in series for label in counts]
        medians = []
        for name, style in (("before", ":"), ("after", "--")):
            line = ax.axvline(0, color=_BLACK, linestyle=style, linewidth=2.4, zorder=3)
            label = ax.annotate(
                "",
                xy=(0, 0.98),
                xycoords=("data", "axes fraction"),
                xytext=(0, 0),
                textcoords="offset points",
                va="top",
                fontsize=_SMALL_PT,
                fontweight="bold",
                color=_INK,
                zorder=5,
                bbox={"boxstyle": "round,pad=0.2", "facecolor": "white", "edgecolor": "none"},
            )
            medians.append((name, line, label))
            lines.append(line)
            labels.append(label)
        dynamic += [*lines, *labels, self._footer]
        self._parts = {"series": series, "medians": medians}
        return dynamic

    def _update(self, pre: Mapping, post: Mapping, comparison: Mapping) -> None:
        question = self.question
        histograms = [_histogram(question, pre), _histogram(question, post)]
        top = max(max(h) for h in histograms)
        self._ax.set_ylim(0, max(top, 1) * 1.5 + 0.2)
        lift = max(top, 1) * 0.02
        series = self._parts["series"]
        for (bars, labels), counts in zip(series, histograms, strict=True):  # type: ignore[call-overload]
            for bar, label, count in zip(bars, labels, counts, strict=True):
                bar.set_height(count)
                label.set_y(count + lift)
                label.set_text(str(count))
                label.set_visible(bool(count))

        # Label the lower median on its left and the higher on its right so they never overlap.
        medians = self._parts["medians"]
        values = [pre.get("median"), post.get("median")]
        present = sorted(
            (float(v), i)
            for i, v in enumerate(values)
            if v is not None  # type: ignore[arg-type]
        )
        for i, (name, line, label) in enumerate(medians):  # type: ignore[call-overload]
            value = values[i]
            line.set_visible(value is not None)
            label.set_visible(value is not None)
            if value is None:
                continue
            x = float(value)  # type: ignore[arg-type]
            line.set_xdata([x, x])
            left = len(present) == 2 and present[0][1] == i
            label.xy = (x, 0.98)
            label.set_position((-4 if left else 4, 0))
            label.set_horizontalalignment("right" if left else "left")
            label.set_text(f"{name} median {_fmt(x)}")
        self._set_subtitle(
            f"Before: {_plural(_int(pre, 'n'), 'answer')} · "
            f"after: {_plural(_int(post, 'n'), 'answer')} · {_shift_words(comparison)}"
        )
        room = (self._w - 2 * _EDGE) * self._dpi
        first, second = _moved_words(question, comparison).split("\n")
        self._footer.set_text(f"{first}\n{self._fit(second, room, _SMALL_PT, lines=2)}")


def pre_post_png(
    question: ScaleQuestion,
    comparison: Mapping,
    *,
    hidden_from_participants: bool = False,
    below_minimum: int | None = None,
    note: str = "",
    width: float = 7.0,
    height: float = 4.2,
    dpi: int = 100,
) -> bytes:
    """A one-off PNG of a :class:`PrePostChart` (keep the class to redraw repeatedly)."""
    chart = PrePostChart(question, width=width, height=height, dpi=dpi)
    try:
        return chart.render(
            comparison,
            hidden_from_participants=hidden_from_participants,
            below_minimum=below_minimum,
            note=note,
        )
    finally:
        chart.close()
