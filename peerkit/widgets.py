"""The workshop widgets, composed from standard ipywidgets controls.

Every control is a native, keyboard-operable input with a text label. Widgets hold their state
in traitlets and talk to a :class:`~peerkit.client.Session`; live updates are awaited on the
kernel's own asyncio loop, so no background thread ever touches a widget.
"""

from __future__ import annotations

import asyncio
import html
import logging
import time
from typing import Any

import ipywidgets as w
import traitlets

from .client import ClientError, QuestionInfo, Results, ServiceUnavailable, Session
from .model import PASS, ChoiceQuestion, ScaleQuestion, TextQuestion

log = logging.getLogger(__name__)

__all__ = ["AutonomySlider", "FacilitatorConsole", "LivePollChart", "ReflectionBox", "ScenarioVote"]

PASS_LABEL = "Pass / prefer not to say"  # noqa: S105 - a label
#: ipywidgets gives each radio row a fixed height, so a long option that wraps would overlap the
#: next one and hide its button; let rows grow with their text instead.
OPTION_STYLE = (
    "<style>.peerkit-options .widget-radio-box label{display:flex;align-items:flex-start;"
    "gap:.5em;height:auto;line-height:1.35;padding:.3em 0;white-space:normal}"
    ".peerkit-options .widget-radio-box input{flex:none;order:-1;margin:.2em 0 0}</style>"
)
#: Redraw a live chart at most this often (seconds between redraws).
MIN_REDRAW_INTERVAL = 0.25


def _text(value: object) -> str:
    """User or content text, escaped for an HTML widget."""
    return html.escape(str(value))


def _status(kind: str, message: str) -> str:
    icons = {"ok": "✓", "error": "⚠", "closed": "■", "info": "ℹ", "wait": "…"}
    return (
        f'<div class="peerkit-status peerkit-{kind}" role="status" aria-live="polite">'
        f"{icons.get(kind, '')} {_text(message)}</div>"
    )


def _header(title: str, body: str = "") -> w.HTML:
    parts = [f"<h3>{_text(title)}</h3>"] if title else []
    if body:
        parts.append(f"<p>{_text(body)}</p>")
    return w.HTML("".join(parts))


class _AnswerWidget(w.VBox):
    """Shared behaviour of the widgets a participant answers with."""

    content_id = traitlets.Unicode(help="The scenario, scale or prompt id in data/.").tag(sync=True)
    tag = traitlets.Unicode("", help="Distinguishes repeats of one question, e.g. 'pre'.").tag(
        sync=True
    )
    submitted = traitlets.Any(None, allow_none=True, help="The answer last stored, if any.")
    closed = traitlets.Bool(False, help="True once the question no longer takes answers.")

    def __init__(self, session: Session, content_id: str, tag: str = "", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.session = session
        self.content_id = content_id
        self.tag = tag
        self.question = session.content.question(content_id)
        self.status = w.HTML()
        self.submit = w.Button(
            description="Submit answer", icon="check", tooltip="Save your answer"
        )
        self.submit.on_click(lambda _b: self._submit(self.value()))
        self.pass_button = w.Button(description=PASS_LABEL, tooltip="Skip this question")
        self.pass_button.on_click(lambda _b: self._submit(PASS))
        self._info: QuestionInfo | None = None
        if session.is_facilitator and session.mode == "group":
            self.submit.layout.display = "none"
            self.pass_button.layout.display = "none"
            self.status.value = _status(
                "info",
                "Participants answer on their phones or notebooks; the chart shows the group.",
            )
        else:
            self._load()

    def value(self) -> object:  # pragma: no cover - each widget defines its own
        raise NotImplementedError

    def show_answer(self, answer: object) -> None:  # pragma: no cover
        raise NotImplementedError

    def _controls(self) -> list[w.Widget]:  # pragma: no cover
        raise NotImplementedError

    def _find(self) -> QuestionInfo | None:
        self._info = self.session.question(self.content_id, self.tag)
        return self._info

    def _load(self) -> None:
        """Show the participant's earlier answer and the question's state, if reachable."""
        try:
            info = self._find()
            if info is not None:
                previous = self.session.my_answer(info.id)
                if previous is not None:
                    self.submitted = previous
                    self.show_answer(previous)
                    self.submit.description = "Change answer"
                    self.status.value = _status(
                        "ok", "Your answer is saved. You can change it while the question is open."
                    )
                self.set_closed(not info.is_open and info.state == "closed")
        except ServiceUnavailable as exc:
            self.status.value = _status("error", exc.message)

    def set_closed(self, closed: bool) -> None:
        self.closed = closed
        for control in (*self._controls(), self.submit, self.pass_button):
            control.disabled = closed
        if closed:
            self.status.value = _status("closed", "This question is closed.")

    def _submit(self, answer: object) -> None:
        if answer is None:
            self.status.value = _status("info", "Choose an answer first, or pass.")
            return
        try:
            info = self._find()
            if info is None:
                self.status.value = _status(
                    "wait",
                    "The facilitator has not opened this question yet. "
                    "Try again when it is on screen.",
                )
                return
            stored = self.session.respond(info.id, answer)
        except ServiceUnavailable:
            self.status.value = _status(
                "error",
                "The poll service can't be reached right now, so your answer was not sent. "
                "Try again in a moment.",
            )
            return
        except ClientError as exc:
            if exc.code == "question_closed":
                self.set_closed(True)
                self.status.value = _status("closed", "This question is closed. " + exc.message)
            else:
                self.status.value = _status("error", exc.message)
            return
        self.submitted = stored
        self.submit.description = "Change answer"
        shown = PASS_LABEL if stored == PASS else self.describe_answer(stored)
        self.status.value = _status(
            "ok",
            f"Saved: {shown.rstrip('.')}. You can change your answer while the question is open.",
        )

    def describe_answer(self, answer: object) -> str:
        return str(answer)


class ScenarioVote(_AnswerWidget):
    """A scenario vote: the vignette, its options, submit and change answer."""

    choice = traitlets.Unicode(None, allow_none=True, help="The selected option id.")

    def __init__(self, session: Session, scenario_id: str, tag: str = "", **kwargs: Any) -> None:
        question = session.content.question(scenario_id)
        if not isinstance(question, ChoiceQuestion):
            raise TypeError(f"{scenario_id!r} is not a scenario")
        self.options = w.RadioButtons(
            options=[(o.text, o.id) for o in question.options] + [(PASS_LABEL, PASS)],
            value=None,
            description="Your answer",
            layout=w.Layout(width="auto"),
            style={"description_width": "initial"},
        )
        self.options.add_class("peerkit-options")
        super().__init__(session, scenario_id, tag, **kwargs)
        self.pass_button.layout.display = "none"  # pass is one of the options
        self.options.observe(self._picked, "value")
        self.children = [
            w.HTML(OPTION_STYLE),
            _header(question.title, question.vignette),
            w.HTML(f"<p><strong>{_text(question.prompt)}</strong></p>"),
            self.options,
            w.HBox([self.submit]),
            self.status,
        ]

    def _picked(self, change: dict) -> None:
        self.choice = change["new"]

    def _controls(self) -> list[w.Widget]:
        return [self.options]

    def value(self) -> object:
        return self.options.value

    def show_answer(self, answer: object) -> None:
        self.options.value = answer

    def describe_answer(self, answer: object) -> str:
        assert isinstance(self.question, ChoiceQuestion)
        return self.question.option(str(answer)).text


class AutonomySlider(_AnswerWidget):
    """A slider between two labelled poles; the anchor for the current position is always shown,
    and "not answered yet" is distinct from the midpoint."""

    answered = traitlets.Bool(False, help="Whether the participant has moved the slider yet.")

    def __init__(self, session: Session, scale_id: str, tag: str = "", **kwargs: Any) -> None:
        question = session.content.question(scale_id)
        if not isinstance(question, ScaleQuestion):
            raise TypeError(f"{scale_id!r} is not a scale")
        whole = all(float(v).is_integer() for v in (question.min, question.max, question.step))
        cls = w.IntSlider if whole else w.FloatSlider
        middle = question.points[len(question.points) // 2]
        self.slider = cls(
            value=int(middle) if whole else middle,
            min=question.min,
            max=question.max,
            step=question.step,
            description="Your position",
            continuous_update=True,
            readout=True,
            style={"description_width": "initial"},
            layout=w.Layout(width="60%"),
        )
        self.anchor = w.HTML()
        super().__init__(session, scale_id, tag, **kwargs)
        self.submit.disabled = not self.answered
        self.slider.observe(self._moved, "value")
        poles = w.HBox(
            [
                w.HTML(f"<strong>{_text(question.min)}: {_text(question.low_label)}</strong>"),
                self.slider,
                w.HTML(f"<strong>{_text(question.max)}: {_text(question.high_label)}</strong>"),
            ],
            layout=w.Layout(align_items="center", flex_flow="row wrap"),
        )
        note = w.HTML(f"<p><em>{_text(question.note)}</em></p>") if question.note else w.HTML()
        self.children = [
            _header(question.title, question.prompt),
            poles,
            self.anchor,
            note,
            w.HBox([self.submit, self.pass_button]),
            self.status,
        ]
        self._show_anchor()

    def _moved(self, _change: dict) -> None:
        self.answered = True
        self.submit.disabled = self.closed
        self._show_anchor()

    def _show_anchor(self) -> None:
        assert isinstance(self.question, ScaleQuestion)
        if not self.answered:
            self.anchor.value = _status(
                "info", "Not answered yet: move the slider to where you stand."
            )
        else:
            label = self.question.anchor_for(self.slider.value)
            self.anchor.value = (
                f'<p role="status" aria-live="polite">{_text(self.slider.value)}: '
                f"{_text(label)}</p>"
            )

    def _controls(self) -> list[w.Widget]:
        return [self.slider]

    def value(self) -> object:
        return self.slider.value if self.answered else None

    def show_answer(self, answer: object) -> None:
        if answer != PASS:
            self.slider.value = answer
            self.answered = True
            self._show_anchor()

    def describe_answer(self, answer: object) -> str:
        assert isinstance(self.question, ScaleQuestion)
        value = float(answer)  # type: ignore[arg-type]
        return f"{value:g} ({self.question.anchor_for(value)})"  # 2, not 2.0


class ReflectionBox(_AnswerWidget):
    """A short free-text reflection, seen by the facilitator and shown to the group only if
    approved."""

    def __init__(self, session: Session, prompt_id: str, tag: str = "", **kwargs: Any) -> None:
        question = session.content.question(prompt_id)
        if not isinstance(question, TextQuestion):
            raise TypeError(f"{prompt_id!r} is not a reflection prompt")
        self.text = w.Textarea(
            placeholder="Write a few words, or pass",
            description="Your reflection",
            layout=w.Layout(width="90%", height="6em"),
            style={"description_width": "initial"},
        )
        self.count = w.HTML()
        super().__init__(session, prompt_id, tag, **kwargs)
        self.text.observe(self._typed, "value")
        self._typed({})
        self.children = [
            _header(question.title, question.prompt),
            self.text,
            self.count,
            w.HTML(
                "<p><em>Your reflection stays on this computer; nobody else reads it.</em></p>"
                if session.mode == "solo" and not session.is_facilitator
                else "<p><em>The facilitator reads reflections first; one is shown to the group "
                "only if the facilitator approves it, and never with your name.</em></p>"
            ),
            w.HBox([self.submit, self.pass_button]),
            self.status,
        ]

    def _typed(self, _change: dict) -> None:
        assert isinstance(self.question, TextQuestion)
        used = len(self.text.value.strip())
        over = used > self.question.max_length
        self.count.value = (
            f'<p aria-live="polite">{used} of {self.question.max_length} characters'
            f"{' — too long' if over else ''}</p>"
        )

    def _controls(self) -> list[w.Widget]:
        return [self.text]

    def value(self) -> object:
        return self.text.value.strip() or None

    def show_answer(self, answer: object) -> None:
        if answer != PASS:
            self.text.value = str(answer)

    def describe_answer(self, answer: object) -> str:
        return "your reflection"


class LivePollChart(w.VBox):
    """The group's answers as a chart that follows the room live.

    Bars for a scenario (and where the group leans), a distribution with median and quartiles
    for a scale, or the movement of one scale between its "pre" and "post" questions
    (``compare=True``). Counts and percentages are also written out as text.
    """

    content_id = traitlets.Unicode(help="The scenario, scale or prompt id.").tag(sync=True)
    tag = traitlets.Unicode("").tag(sync=True)
    tally = traitlets.Dict(allow_none=True, default_value=None, help="The tally last drawn.")
    version = traitlets.Int(-1, help="The results version last drawn.")
    redraws = traitlets.Int(0, help="How many times the chart has been drawn.")

    def __init__(
        self,
        session: Session,
        content_id: str,
        tag: str = "",
        *,
        compare: bool = False,
        respect_minimum: bool = True,
        follow: bool = True,
        **kwargs: Any,
    ) -> None:
        from . import charts

        super().__init__(**kwargs)
        self.session = session
        self.content_id = content_id
        self.tag = tag
        self.compare = compare
        self.respect_minimum = respect_minimum
        self.question = session.content.question(content_id)
        self.image = w.Image(format="png", layout=w.Layout(max_width="100%"))
        self.caption = w.HTML()
        self.state_label = w.HTML()
        self.children = [self.state_label, self.image, self.caption]
        self._chart = charts.PollChart(self.question)
        self._info: QuestionInfo | None = None
        self._task: asyncio.Task | None = None
        self._last_draw = 0.0
        self.refresh()
        if follow:
            self.start()

    # -- drawing -------------------------------------------------------------------------
    def refresh(self) -> None:
        """Fetch the current results once and draw them."""
        try:
            if self.compare:
                self._draw_compare()
                return
            info = self._ensure()
            if info is None:
                self._draw(None)
                return
            self._draw(self.session.results(info.id))
        except ServiceUnavailable as exc:
            self.state_label.value = _status("error", exc.message)
        except ClientError as exc:
            self.state_label.value = _status("info", exc.message)

    def _ensure(self) -> QuestionInfo | None:
        if self._info is None:
            self._info = self.session.question(self.content_id, self.tag)
        return self._info

    def _draw(self, results: Results | None) -> None:
        from . import charts

        session = self.session
        if session.mode == "solo" and not session.is_facilitator:
            own = session.my_answer(results.question_id) if results else None
            example = self._illustrative()
            png = self._chart.render(None, illustrative=example, own_answer=own)
            self.caption.value = self._caption(
                charts.describe(self.question, None, illustrative=example, own_answer=own)
            )
            self.state_label.value = _status(
                "info", "Illustrative example group, not real responses; your answer is marked."
            )
        elif results is None:
            png = self._chart.render(None)
            self.caption.value = ""
            self.state_label.value = _status(
                "wait", "Waiting for the facilitator to open this question."
            )
        elif not session.is_facilitator and results.tally is None:
            png = self._chart.render(None, note="Results appear when the facilitator reveals them.")
            self.caption.value = ""
            self.state_label.value = _status(
                "wait", "Results appear when the facilitator reveals them."
            )
        else:
            tally = results.tally or {}
            answered = tally.get("answered", tally.get("n", 0))
            hidden = session.is_facilitator and not results.revealed
            if self.respect_minimum and answered < results.min_group:
                png = self._chart.render(
                    tally, below_minimum=results.min_group, hidden_from_participants=hidden
                )
                self.caption.value = self._caption(
                    f"{answered} answered so far; "
                    f"results show once {results.min_group} have answered."
                )
            else:
                png = self._chart.render(tally, hidden_from_participants=hidden)
                self.caption.value = self._caption(charts.describe(self.question, tally))
            self.tally = tally
            self.version = results.version
            state = {"open": "Open", "closed": "Closed", "draft": "Not opened yet"}[results.state]
            seen = (
                "hidden from participants"
                if hidden
                else "shown to participants"
                if results.revealed
                else ""
            )
            self.state_label.value = _status(
                "info", f"{state}{' · ' + seen if seen else ''} · {tally.get('total', 0)} responses"
            )
        self.image.value = png
        self.redraws += 1
        self._last_draw = time.monotonic()

    def _draw_compare(self) -> None:
        from . import charts

        assert isinstance(self.question, ScaleQuestion)
        comparison = self.session.pre_post(self.content_id)
        png = charts.pre_post_png(self.question, comparison)
        self.image.value = png
        self.caption.value = self._caption(charts.describe_pre_post(self.question, comparison))
        self.state_label.value = _status("info", "Before and after the workshop")
        self.redraws += 1

    def _illustrative(self) -> dict | None:
        from .model import tally as make_tally

        examples = self.session.content.examples
        if self.content_id in examples.choices:
            answers = [k for k, n in examples.choices[self.content_id].items() for _ in range(n)]
        elif self.content_id in examples.scales:
            answers = list(examples.scales[self.content_id])
        else:
            return None
        return make_tally(self.question, answers).as_dict()

    @staticmethod
    def _caption(text: str) -> str:
        return f'<p class="peerkit-chart-text">{_text(text)}</p>'

    # -- following the room live ---------------------------------------------------------
    def start(self) -> None:
        """Follow the room on the running asyncio loop (the kernel's); no-op without one."""
        if self.compare or (self.session.mode == "solo" and not self.session.is_facilitator):
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        if self._task is None or self._task.done():
            self._task = loop.create_task(self.follow())

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None

    async def follow(self, *, max_updates: int | None = None) -> None:
        """Await new results and redraw, at most a few times a second, until stopped."""
        backoff = 1.0
        updates = 0
        while max_updates is None or updates < max_updates:
            try:
                info = self._ensure()
                if info is None:
                    await asyncio.sleep(2)
                    continue
                results = await self.session.wait_results(info.id, self.version)
                wait = MIN_REDRAW_INTERVAL - (time.monotonic() - self._last_draw)
                if wait > 0:  # coalesce: let more answers arrive, then draw them all at once
                    await asyncio.sleep(wait)
                    results = self.session.results(info.id)
                if results.version != self.version:
                    self._draw(results)
                    updates += 1
                backoff = 1.0
            except ServiceUnavailable as exc:
                self.state_label.value = _status("error", f"{exc.message} Reconnecting…")
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 15.0)
            except ClientError as exc:
                self.state_label.value = _status("error", exc.message)
                await asyncio.sleep(5)

    def close(self) -> None:
        self.stop()  # the figure goes with the widget; clearing it here would run at exit too
        super().close()


class FacilitatorConsole(w.VBox):
    """The facilitator's controls for one module: room, join link and QR code, participant
    count, the current question's state and actions, and moderation of reflections."""

    current = traitlets.Unicode(help="The content id of the question being run.").tag(sync=True)
    current_tag = traitlets.Unicode("", help="Its tag, e.g. 'pre' or 'post'.").tag(sync=True)
    participants = traitlets.Int(0, help="People who have joined the room.")

    def __init__(self, session: Session, module: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not session.is_facilitator:
            raise PermissionError("the facilitator console needs the facilitator's key")
        self.session = session
        content = session.content
        items: list[tuple[str, tuple[str, str]]] = []
        if module is not None:
            kind = content.module(module).kind
            items += [
                (f"Scenario: {s.question.title}", (s.id, "")) for s in content.scenarios_for(module)
            ]
            if kind in ("opening", "closing"):
                scale = content.pre_post_scale
                when = "start" if kind == "opening" else "end"
                tag = "pre" if kind == "opening" else "post"
                items.append(
                    (f"Slider: {scale.question.title} ({when} of workshop)", (scale.id, tag))
                )
            items += [
                (f"Slider: {s.question.title}", (s.id, "")) for s in content.scales_for(module)
            ]
            items += [
                (f"Reflection: {p.question.prompt[:50]}", (p.id, ""))
                for p in content.prompts_for(module)
            ]
        self.picker = w.Dropdown(
            options=items, description="Question", style={"description_width": "initial"}
        )
        self.buttons = {
            name: w.Button(description=label, tooltip=tip)
            for name, label, tip in [
                ("open", "Open", "Start taking answers"),
                ("close", "Close", "Stop taking answers"),
                ("reveal", "Reveal", "Show the results to participants"),
                ("hide", "Hide", "Hide the results from participants"),
                ("reset", "Reset…", "Delete this question's answers and start again"),
                ("next", "Next question", "Move to the next question of this module"),
            ]
        }
        for name, button in self.buttons.items():
            button.on_click(lambda _b, name=name: self.do(name))
        self.confirm_reset = w.Button(description="Yes, delete its answers", button_style="danger")
        self.confirm_reset.layout.display = "none"
        self.confirm_reset.on_click(lambda _b: self.do("reset", confirmed=True))
        self.state_label = w.HTML()
        self.count_label = w.HTML()
        self.room_label = w.HTML()
        self.qr = w.Image(format="png", layout=w.Layout(width="160px"))
        self.moderation = w.VBox()
        self.private = w.Accordion(
            children=[self.moderation], titles=("Reflections to moderate (private)",)
        )
        self.private.selected_index = None
        self.picker.observe(lambda change: self._select(change["new"]), "value")
        self.children = [
            w.HBox([self.qr, w.VBox([self.room_label, self.count_label])]),
            self.picker,
            w.HBox([self.buttons[n] for n in ("open", "close", "reveal", "hide", "reset", "next")]),
            self.confirm_reset,
            self.state_label,
            self.private,
        ]
        self._show_room()
        if items:
            self._select(items[0][1])
        self._task: asyncio.Task | None = None
        try:
            self._task = asyncio.get_running_loop().create_task(self._watch())
        except RuntimeError:
            pass

    def _show_room(self) -> None:
        import io

        import segno

        session = self.session
        if session.join_url:
            png = io.BytesIO()
            segno.make(session.join_url, error="m").save(png, kind="png", scale=5, border=2)
            self.qr.value = png.getvalue()
            self.room_label.value = (
                f"<p>Room code <strong style='font-size:1.6em'>{_text(session.room)}</strong><br>"
                f"Join at <a href='{_text(session.join_url)}'>{_text(session.join_url)}</a></p>"
            )
        else:
            self.qr.layout.display = "none"
            self.room_label.value = _status(
                "info", "Rehearsal room on this computer (no one else can join)."
            )
        self.update_count()

    def update_count(self) -> None:
        try:
            self.participants = self.session.participant_count()
            self.count_label.value = f"<p>{self.participants} participants have joined.</p>"
        except ServiceUnavailable as exc:
            self.count_label.value = _status("error", exc.message)

    def _select(self, item: tuple[str, str]) -> None:
        self.current, self.current_tag = item
        self.confirm_reset.layout.display = "none"
        self._refresh_state()

    def _refresh_state(self) -> None:
        try:
            info = self.session.question(self.current, self.current_tag)
        except ClientError as exc:
            self.state_label.value = _status("error", exc.message)
            return
        assert info is not None
        results = self.session.results(info.id)
        state = {"draft": "Not opened yet", "open": "Open", "closed": "Closed"}[info.state]
        shown = (
            "results shown to participants" if info.revealed else "results hidden from participants"
        )
        total = (results.tally or {}).get("total", 0)
        self.state_label.value = _status("info", f"{state} · {shown} · {total} responses")
        self._show_reflections(results)

    def do(self, action: str, *, confirmed: bool = False) -> None:
        """Run a console action by name (what each button does)."""
        if action == "next":
            values = [v for _, v in self.picker.options]
            here = (self.current, self.current_tag)
            index = values.index(here) if here in values else -1
            if index + 1 < len(values):
                self.picker.value = values[index + 1]
            return
        if action == "reset" and not confirmed:
            self.confirm_reset.layout.display = None
            self.state_label.value = _status(
                "info", "Reset deletes this question's answers. Confirm below."
            )
            return
        try:
            info = self.session.question(self.current, self.current_tag)
            assert info is not None
            self.session.act(info.id, action)
        except ClientError as exc:
            self.state_label.value = _status("error", exc.message)
            return
        self.confirm_reset.layout.display = "none"
        self._refresh_state()

    def _show_reflections(self, results: Results) -> None:
        rows: list[w.Widget] = []
        flagged = [r for r in results.reflections if r.get("flags")]
        pending = [
            r for r in results.reflections if not r.get("flags") and r["moderation"] == "pending"
        ]
        if flagged:
            resources = "".join(
                f"<li>{_text(r.name)}: {_text(r.contact)}"
                f"{' — ' + _text(r.note) if r.note else ''}</li>"
                for r in self.session.content.safety.resources
            )
            rows.append(
                w.HTML(
                    f"<p><strong>{len(flagged)} reflection(s) use words that may signal "
                    "crisis.</strong> "
                    "They are never shown to the group. Consider a private, gentle check-in "
                    f"(a co-facilitator can help).</p><ul>{resources}</ul>"
                )
            )
            rows += [w.HTML(f"<blockquote>{_text(r['text'])}</blockquote>") for r in flagged]
        for reflection in pending:
            approve = w.Button(description="Approve", tooltip="Show this reflection to the group")
            reject = w.Button(description="Reject", tooltip="Keep this reflection off the screen")
            approve.on_click(lambda _b, rid=reflection["id"]: self._moderate(rid, True))
            reject.on_click(lambda _b, rid=reflection["id"]: self._moderate(rid, False))
            rows.append(
                w.HBox(
                    [
                        w.HTML(f"<blockquote>{_text(reflection['text'])}</blockquote>"),
                        approve,
                        reject,
                    ]
                )
            )
        if not rows:
            rows.append(w.HTML("<p>No reflections waiting.</p>"))
        self.moderation.children = rows
        self.private.set_title(
            0, f"Reflections to moderate (private): {len(pending)} waiting, {len(flagged)} flagged"
        )

    def _moderate(self, response_id: int, approve: bool) -> None:
        try:
            self.session.moderate(response_id, approve)
        except ClientError as exc:
            self.state_label.value = _status("error", exc.message)
        self._refresh_state()

    async def _watch(self, interval: float = 3.0) -> None:
        while True:
            await asyncio.sleep(interval)
            self.update_count()
            try:
                self._refresh_state()
            except ClientError:
                pass

    def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
        super().close()
