"""The facilitator's controls in each question's own cell: Open, Close, Reveal and Hide, the
live answer count, and what the room can see of it.

The notebook is the facilitator's private cockpit: each question cell runs its own question, so
a session runs from top to bottom without scrolling back to the console. The room's screen (the
presenter display) and the phones show only what these buttons release.
"""

from __future__ import annotations

from typing import Any

import ipywidgets as w
import traitlets

from ..client import ClientError, Session
from ..i18n import N_, _, format_number, ngettext
from ..watcher import QuestionState, Update
from .common import StatusLine, text

#: The buttons, in order: (action, label, icon, what it does).
ACTIONS = (
    ("open", N_("Open"), "play", N_("Start taking answers; phones and the room's screen show it")),
    ("close", N_("Close"), "stop", N_("Stop taking answers")),
    ("reveal", N_("Reveal"), "eye", N_("Show the results on the room's screen and on phones")),
    ("hide", N_("Hide"), "eye-slash", N_("Take the results off the room's screen and phones")),
)


def allowed(question: QuestionState | None) -> set[str]:
    """The actions that change something for a question in this state."""
    if question is None or question.state == "draft":
        return {"open"}
    can = {"close"} if question.state == "open" else {"open"}
    return can | ({"hide"} if question.revealed else {"reveal"})


def seen_by(question: QuestionState | None, answers: int) -> str:
    """Who sees what of the question now, in words for the facilitator."""
    if question is None or question.state == "draft":
        return _("Not opened yet. The phones and the room's screen show nothing of it.")
    if question.revealed:
        message = ngettext(
            "{count} answer. Revealed: the room's screen and the phones show the results "
            "(once enough people have answered).",
            "{count} answers. Revealed: the room's screen and the phones show the results "
            "(once enough people have answered).",
            answers,
        )
    else:
        message = ngettext(
            "{count} answer. Only you see the chart below; the room's screen shows the number "
            "of answers and nothing more until you press Reveal.",
            "{count} answers. Only you see the chart below; the room's screen shows the number "
            "of answers and nothing more until you press Reveal.",
            answers,
        )
    return message.format(count=format_number(answers))


class QuestionControls(w.VBox):
    """Open / Close / Reveal / Hide for one question, with its live answer count."""

    answers = traitlets.Int(0, help="How many have answered (passes included).")
    state = traitlets.Unicode("draft", help="draft, open or closed.")
    revealed = traitlets.Bool(False)

    def __init__(self, session: Session, content_id: str, tag: str = "", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.session, self.content_id, self.tag = session, content_id, tag
        self.buttons: dict[str, w.Button] = {}
        for action, label, icon, tip in ACTIONS:
            button = w.Button(description=_(label), icon=icon, tooltip=_(tip))
            button.on_click(lambda _b, action=action: self.do(action))
            self.buttons[action] = button
        self.seen = w.HTML()
        self.status = StatusLine()
        self._question: QuestionState | None = None
        self.children = [
            w.HTML("<p><strong>{}</strong></p>".format(text(_("Run this question")))),
            w.HBox(list(self.buttons.values())),
            self.seen,
            self.status,
        ]
        self._shown(None)
        self._subscription = session.watcher.subscribe(self.show, content_id, tag)
        if session.mode == "solo":  # rehearsals read the room in process
            session.watcher.sync()

    def show(self, update: Update) -> None:
        """The watcher's news about this question."""
        if update.error:
            self.status.show("error", _("{error} Reconnecting…").format(error=update.error))
            return
        if self.status.kind == "error":
            self.status.show("", "")
        tally = update.results.tally if update.results is not None else None
        self.answers = tally.total if tally is not None else 0
        self._shown(update.question)

    def _shown(self, question: QuestionState | None) -> None:
        self._question = question
        self.state = question.state if question is not None else "draft"
        self.revealed = bool(question and question.revealed)
        can = allowed(question)
        for action, button in self.buttons.items():
            button.disabled = action not in can
        self.seen.value = f"<p>{text(seen_by(question, self.answers))}</p>"

    def do(self, action: str) -> None:
        """Run one action on this question (what each button does); one short call."""
        try:
            question = self._question
            if question is None:
                info = self.session.question(self.content_id, self.tag)  # added to the room
                question_id = info.id
            else:
                question_id = question.id
            info = self.session.act(question_id, action)
        except ClientError as exc:
            self.status.show("error", exc.message)
            return
        self.status.show("", "")
        self._shown(
            QuestionState(info.id, self.content_id, self.tag, info.state, info.revealed, -1)
        )

    def close(self) -> None:
        self._subscription.cancel()
        super().close()


def add_controls(widget: w.Widget, session: Session) -> w.Widget:
    """Give an answer widget (``ScenarioVote``, ``AutonomySlider``, ``ReflectionBox``) its own
    question controls when the facilitator runs the notebook; participants get nothing."""
    if session.is_facilitator:
        controls = QuestionControls(session, widget.content_id, widget.tag)
        widget.controls.children = [controls]
    return widget
