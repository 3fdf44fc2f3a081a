"""The widgets a participant answers with: a scenario vote, a slider and a reflection.

Each one follows its question through the session's watcher (open, closed, revealed) and saves
an answer with one short call when the person presses Submit. For the facilitator in a live
room the answer controls are a read-only preview of what participants see, the status line shows
the question's own state, and ``controls`` holds the question's own Open / Close / Reveal / Hide
(:mod:`.stage`).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import ipywidgets as w
import traitlets

from ..chartview import PASS_LABEL, fmt
from ..client import ClientError, ServiceUnavailable, Session
from ..i18n import _, format_number, ngettext
from ..model import PASS, ChoiceQuestion, ScaleQuestion, TextQuestion
from ..watcher import QuestionState, Update
from .common import StatusLine, close_tree, header, text
from .inputs import ChoiceInput, SliderInput

log = logging.getLogger(__name__)


def facilitator_words(question: QuestionState | None) -> tuple[str, str]:
    """What the facilitator's line under a question says about its state."""
    if question is None or question.state == "draft":
        return "info", _("Not opened yet: participants can answer once you open it.")
    if question.state == "open":
        if question.revealed:
            return "ok", _("Open: participants are answering · results shown to participants.")
        return "ok", _("Open: participants are answering · results hidden.")
    if question.revealed:
        return "closed", _("Closed · results shown to participants.")
    return "closed", _("Closed · results hidden.")


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
        self.status = StatusLine()
        self.controls = w.HBox()
        self.submit = w.Button(
            description=_("Submit answer"),
            icon="check",
            tooltip=_("Save your answer"),
            layout=w.Layout(width="auto"),
        )
        self.submit.on_click(lambda _b: self._submit(self.value()))
        self.pass_button = w.Button(
            description=_(PASS_LABEL),
            tooltip=_("Skip this question"),
            layout=w.Layout(width="auto"),
        )
        self.pass_button.on_click(lambda _b: self._submit(PASS))
        self._question: QuestionState | None = None
        self._loaded: int | None = None  # the question whose earlier answer was looked up
        self._sent = 0  # answers saved from this widget: newer than any earlier one looked up
        self._subscription = None
        self._tasks: set[asyncio.Task] = set()
        self.watching = session.is_facilitator and session.mode == "group"
        if self.watching:
            self.submit.layout.display = "none"
            self.pass_button.layout.display = "none"
        if session.mode == "solo":
            self._load()
        else:
            self.status.show("wait", _("Connecting to the room…"))
        if session.mode != "solo" or session.is_facilitator:
            self._subscription = session.watcher.subscribe(self.show, content_id, tag)

    def _preview(self, controls: list[w.Widget]) -> list[w.Widget]:
        """The answer controls as the facilitator sees them: disabled, as a preview."""
        for control in controls:
            control.disabled = True
        note = "<p><em>{}</em></p>".format(
            text(_("Preview: participants answer on their own devices."))
        )
        return [w.HTML(note), *controls]

    def value(self) -> object:  # pragma: no cover - each widget defines its own
        raise NotImplementedError

    def show_answer(self, answer: object) -> None:  # pragma: no cover
        raise NotImplementedError

    def _controls(self) -> list[w.Widget]:  # pragma: no cover
        raise NotImplementedError

    # -- following the question -----------------------------------------------------------
    def show(self, update: Update) -> None:
        """The watcher's news about this question: its state, and for a participant their
        earlier answer the first time the question is seen."""
        if update.error:
            self.status.show("error", _("{error} Reconnecting…").format(error=update.error))
            return
        question = self._question = update.question
        if self.watching:
            self.status.show(*facilitator_words(question))
            return
        if question is None or question.state == "draft":
            self.status.show("wait", _("Waiting for the facilitator to open this question."))
            return
        self.set_closed(question.state == "closed")
        if self._loaded != question.id and self.session.mode != "solo":
            self._loaded = question.id
            try:
                task = asyncio.get_running_loop().create_task(self._fetch_answer(question.id))
            except RuntimeError:
                pass
            else:
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
        elif question.state == "open" and self.status.kind in ("wait", "error"):
            self._say_open()  # back from waiting or reconnecting

    def refresh(self) -> None:
        """Read the question's state (and the earlier answer) now. In a live room this waits on
        the service, so only scripts and tests call it; notebooks follow the watcher."""
        if self.session.mode == "solo":
            self._load()
            return
        room = self.session.room_state()
        question = room.find(self.content_id, self.tag)
        self._loaded = question.id if question is not None else None
        self.show(Update(room, question))
        if question is not None and question.state != "draft" and not self.watching:
            self._remember(self.session.my_answer(question.id))

    async def _fetch_answer(self, question_id: int) -> None:
        sent = self._sent
        try:
            previous = await self.session.amy_answer(question_id)
        except ClientError as exc:
            self.status.show("error", exc.message)
            return
        if self._sent == sent:  # an answer saved meanwhile is newer, and already said so
            self._remember(previous)

    def _remember(self, previous: object) -> None:
        if previous is not None:
            self.submitted = previous
            self.show_answer(previous)
            self.submit.description = _("Change answer")
        if not self.closed:
            self._say_open()

    def _say_open(self) -> None:
        if self.submitted is not None:
            self.status.show(
                "ok", _("Your answer is saved. You can change it while the question is open.")
            )
        else:
            self.status.show("info", _("The question is open: choose your answer and submit."))

    def _load(self) -> None:
        """Solo and rehearsal: the earlier answer and the question's state, read in process."""
        info = self.session.question(self.content_id, self.tag)
        if info is None:
            return
        self._question = QuestionState(
            info.id, info.source, info.tag, info.state, info.revealed, info.version
        )
        if info.state == "draft":  # a rehearsal question the console has not opened yet
            self.status.show("wait", _("Waiting for the facilitator to open this question."))
            return
        self._remember(self.session.my_answer(info.id))
        self.set_closed(info.state == "closed")

    def set_closed(self, closed: bool) -> None:
        if closed == self.closed and not closed:
            return
        self.closed = closed
        for control in (*self._controls(), self.submit, self.pass_button):
            control.disabled = closed or self.watching
        if closed:
            self.status.show("closed", _("This question is closed."))

    # -- answering ------------------------------------------------------------------------------
    def _question_id(self) -> int | None:
        """The room's question to answer: as the watcher last reported it, else asked for now
        (one short call, made only when the person presses Submit)."""
        question = self._question
        if self.session.mode != "solo" and question is not None and question.state != "draft":
            return question.id
        info = self.session.question(self.content_id, self.tag)
        return info.id if info is not None and info.state != "draft" else None

    def _submit(self, answer: object) -> None:
        if answer is None:
            self.status.show("info", _("Choose an answer first, or pass."))
            return
        try:
            question_id = self._question_id()
            if question_id is None:
                self.status.show(
                    "wait",
                    _(
                        "The facilitator has not opened this question yet. "
                        "Try again when it is on screen."
                    ),
                )
                return
            stored = self.session.respond(question_id, answer)
        except ServiceUnavailable:
            self.status.show(
                "error",
                _(
                    "The poll service can't be reached right now, so your answer was not sent. "
                    "Try again in a moment."
                ),
            )
            return
        except ClientError as exc:
            if exc.code == "question_closed":
                self.set_closed(True)
                self.status.show(
                    "closed", _("This question is closed. {reason}").format(reason=exc.message)
                )
            else:
                self.status.show("error", exc.message)
            return
        self.submitted = stored
        self._sent += 1
        self.submit.description = _("Change answer")
        shown = _(PASS_LABEL) if stored == PASS else self.describe_answer(stored)
        self.status.show(
            "ok",
            _("Saved: {answer}. You can change your answer while the question is open.").format(
                answer=shown.rstrip(".")
            ),
        )

    def describe_answer(self, answer: object) -> str:
        return str(answer)

    def close(self) -> None:
        if self._subscription is not None:
            self._subscription.cancel()
        for part in (self.submit, self.pass_button, *self._controls()):  # shown or not
            close_tree(part)
        for child in self.controls.children:  # the question's own controls follow the room too
            close_tree(child)
        super().close()


def _show_submit_in(control: ChoiceInput | SliderInput, submit: w.Button) -> None:
    """Draw ``submit`` inside the keyboard-safe ``control`` (which sends the value it shows
    with the press); the Python button keeps the state, its label and whether it is enabled."""
    traitlets.dlink((submit, "description"), (control, "submit_label"))
    traitlets.dlink((submit, "disabled"), (control, "submit_disabled"))


class ScenarioVote(_AnswerWidget):
    """A scenario vote: the vignette, its options, submit and change answer."""

    choice = traitlets.Unicode(None, allow_none=True, help="The selected option id.")

    def __init__(self, session: Session, scenario_id: str, tag: str = "", **kwargs: Any) -> None:
        question = session.content.question(scenario_id)
        if not isinstance(question, ChoiceQuestion):
            raise TypeError(f"{scenario_id!r} is not a scenario")
        self.options = ChoiceInput(
            options=[(o.text, o.id) for o in question.options] + [(_(PASS_LABEL), PASS)],
            description=_("Your answer"),
        )
        super().__init__(session, scenario_id, tag, **kwargs)
        self.options.on_submit(lambda: self._submit(self.value()))
        if not self.watching:  # the facilitator's preview sends nothing
            _show_submit_in(self.options, self.submit)
        self.pass_button.layout.display = "none"  # pass is one of the options
        self.options.observe(self._picked, "value")
        answer = self._preview([self.options]) if self.watching else [self.options]
        self.children = [
            header(question.title, question.vignette),
            w.HTML(f"<p><strong>{text(question.prompt)}</strong></p>"),
            *answer,
            self.controls,
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
        self.slider = SliderInput(
            value=question.points[len(question.points) // 2],
            min=question.min,
            max=question.max,
            step=question.step,
            low=_("{value}: {label}").format(value=fmt(question.min), label=question.low_label),
            high=_("{value}: {label}").format(value=fmt(question.max), label=question.high_label),
            description=_("Your position"),
            valuetext=_("Not answered yet"),
        )
        self.anchor = StatusLine()
        super().__init__(session, scale_id, tag, **kwargs)
        self.slider.on_submit(lambda: self._submit(self.value()))
        if not self.watching:  # the facilitator's preview sends nothing
            _show_submit_in(self.slider, self.submit)
        self.submit.disabled = not self.answered
        self.slider.observe(self._moved, "value")
        note = w.HTML(f"<p><em>{text(question.note)}</em></p>") if question.note else w.HTML()
        answer = self._preview([self.slider]) if self.watching else [self.slider, self.anchor]
        self.children = [
            header(question.title, question.prompt),
            *answer,
            note,
            w.HBox([self.pass_button]),
            self.controls,
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
            self.anchor.show("info", _("Not answered yet: move the slider to where you stand."))
        else:
            words = _("{value}: {label}").format(
                value=fmt(self.slider.value), label=self.question.anchor_for(self.slider.value)
            )
            self.slider.valuetext = words
            self.anchor.show("", words)

    def _controls(self) -> list[w.Widget]:
        return [self.slider]

    def value(self) -> object:
        if not self.answered:
            return None
        value = self.slider.value
        return int(value) if float(value).is_integer() else value

    def show_answer(self, answer: object) -> None:
        if answer != PASS:
            self.slider.value = answer
            self.answered = True
            self._show_anchor()

    def describe_answer(self, answer: object) -> str:
        assert isinstance(self.question, ScaleQuestion)
        return _("{value} ({label})").format(
            value=fmt(answer),
            label=self.question.anchor_for(float(answer)),  # type: ignore[arg-type]
        )


class ReflectionBox(_AnswerWidget):
    """A short free-text reflection, seen by the facilitator and shown to the group only if
    approved."""

    def __init__(self, session: Session, prompt_id: str, tag: str = "", **kwargs: Any) -> None:
        question = session.content.question(prompt_id)
        if not isinstance(question, TextQuestion):
            raise TypeError(f"{prompt_id!r} is not a reflection prompt")
        self.text = w.Textarea(
            placeholder=_("Write a few words, or pass"),
            description=_("Your reflection"),
            layout=w.Layout(width="90%", height="6em"),
            style={"description_width": "initial"},
        )
        self.count = w.HTML()
        super().__init__(session, prompt_id, tag, **kwargs)
        self.text.observe(self._typed, "value")
        self._typed({})
        answer = self._preview([self.text]) if self.watching else [self.text, self.count]
        self.children = [
            header(question.title, question.prompt),
            *answer,
            w.HTML(
                "<p><em>{}</em></p>".format(
                    text(_("Your reflection stays on this computer; nobody else reads it."))
                    if session.mode == "solo" and not session.is_facilitator
                    else text(
                        _(
                            "The facilitator reads reflections first; one is shown to the group "
                            "only if the facilitator approves it, and never with your name."
                        )
                    )
                )
            ),
            w.HBox([self.submit, self.pass_button]),
            self.controls,
            self.status,
        ]

    def _typed(self, _change: dict) -> None:
        assert isinstance(self.question, TextQuestion)
        used = len(self.text.value.strip())
        over = used > self.question.max_length
        limit = self.question.max_length
        if over:
            words = ngettext(
                "{used} of {limit} character — too long",
                "{used} of {limit} characters — too long",
                limit,
            )
        else:
            words = ngettext("{used} of {limit} character", "{used} of {limit} characters", limit)
        words = words.format(used=format_number(used), limit=format_number(limit))
        self.count.value = f"<p>{text(words)}</p>"

    def _controls(self) -> list[w.Widget]:
        return [self.text]

    def value(self) -> object:
        return self.text.value.strip() or None

    def show_answer(self, answer: object) -> None:
        if answer != PASS:
            self.text.value = str(answer)

    def describe_answer(self, answer: object) -> str:
        return _("your reflection")
