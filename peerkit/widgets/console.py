"""The facilitator's console: room, join link and QR code, participant count, the current
question's state and actions, and moderation of reflections.

It follows the room through the session's watcher (no timer, no network call while it is
built); a button makes one short call and says so when it fails. Moderation shows a fixed set
of rows that are updated in place, so a busy room creates no new widgets.
"""

from __future__ import annotations

import base64
import io
import logging
from typing import Any

import ipywidgets as w
import traitlets

from .. import i18n
from ..agenda import module_questions
from ..client import ClientError, QuestionInfo, Results, Session
from ..i18n import N_, _, format_number, ngettext
from ..watcher import Subscription, Update
from .chart import SEPARATOR, responses_words, state_words
from .common import StatusLine, text

log = logging.getLogger(__name__)

#: Reflections listed for moderation at once; the rest wait their turn.
MODERATION_ROWS = 5

#: The console's buttons: (action, label, tooltip), translated where shown.
BUTTONS = (
    ("open", N_("Open"), N_("Start taking answers")),
    ("close", N_("Close"), N_("Stop taking answers")),
    ("reveal", N_("Reveal"), N_("Show the results to participants")),
    ("hide", N_("Hide"), N_("Hide the results from participants")),
    ("reset", N_("Reset…"), N_("Delete this question's answers and start again")),
    ("next", N_("Next question"), N_("Move to the next question of this module")),
)


class _ModerationRow(w.HBox):
    """One reflection waiting for moderation, with Approve and Reject (reused for others)."""

    def __init__(self, console: FacilitatorConsole) -> None:
        # the quote takes the room the buttons leave, so every row's buttons line up
        self.quote = w.HTML(layout=w.Layout(flex="1 1 auto"))
        keep = w.Layout(flex="0 0 auto")  # the buttons keep their width; the quote wraps
        self.approve = w.Button(
            description=_("Approve"), tooltip=_("Show this reflection to the group"), layout=keep
        )
        self.reject = w.Button(
            description=_("Reject"), tooltip=_("Keep this reflection off the screen"), layout=keep
        )
        super().__init__(
            [self.quote, self.approve, self.reject], layout=w.Layout(align_items="center")
        )
        self.response_id: int | None = None
        self.approve.on_click(lambda _b: console.moderate(self.response_id, True))
        self.reject.on_click(lambda _b: console.moderate(self.response_id, False))
        self.layout.display = "none"

    def show(self, reflection: dict | None) -> None:
        self.response_id = reflection["id"] if reflection else None
        self.layout.display = None if reflection else "none"
        if reflection:
            self.quote.value = f"<blockquote>{text(reflection['text'])}</blockquote>"


class FacilitatorConsole(w.VBox):
    """The facilitator's controls for one module."""

    current = traitlets.Unicode(help="The content id of the question being run.").tag(sync=True)
    current_tag = traitlets.Unicode("", help="Its tag, e.g. 'pre' or 'post'.").tag(sync=True)
    participants = traitlets.Int(0, help="People who have joined the room.")

    def __init__(self, session: Session, module: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not session.is_facilitator:
            raise PermissionError(_("the facilitator console needs the facilitator's key"))
        self.session = session
        agenda = module_questions(session.content, module) if module is not None else []
        items = [(item.label, item.key) for item in agenda]
        self.picker = w.Dropdown(
            options=items,
            description=_("Question"),
            style={"description_width": "initial"},
            # wide enough for a question's label in a language longer than English
            layout=w.Layout(width="44em", max_width="100%"),
        )
        self.buttons = {
            # each button as wide as its label, so a longer translation is not cut off
            name: w.Button(description=_(label), tooltip=_(tip), layout=w.Layout(width="auto"))
            for name, label, tip in BUTTONS
        }
        for name, button in self.buttons.items():
            button.on_click(lambda _b, name=name: self.do(name))
        self.confirm_reset = w.Button(
            description=_("Yes, delete its answers"),
            button_style="danger",
            layout=w.Layout(width="auto", align_self="flex-start"),
        )
        self.confirm_reset.layout.display = "none"
        self.confirm_reset.on_click(lambda _b: self.do("reset", confirmed=True))
        self.state_label = StatusLine()
        self.count_label = w.HTML()
        self.room_label = w.HTML()
        self.qr = w.HTML()
        self.flagged = w.HTML()
        self.rows = [_ModerationRow(self) for _ in range(MODERATION_ROWS)]
        self.waiting = w.HTML("<p>{}</p>".format(text(_("No reflections waiting."))))
        self.moderation = w.VBox([self.flagged, *self.rows, self.waiting])
        self.private = w.Accordion(
            children=[self.moderation], titles=(_("Reflections to moderate (private)"),)
        )
        self.private.selected_index = None
        self.children = [
            w.HBox([self.qr, w.VBox([self.room_label, self.count_label])]),
            self.picker,
            w.HBox(
                [self.buttons[n] for n in ("open", "close", "reveal", "hide", "reset", "next")],
                layout=w.Layout(flex_flow="row wrap"),
            ),
            self.confirm_reset,
            self.state_label,
            self.private,
        ]
        self._show_room()
        self._room_subscription = session.watcher.subscribe(self._room_changed)
        self._subscription: Subscription | None = None
        self.picker.observe(lambda change: self._select(change["new"]), "value")
        if items:
            self._select(items[0][1])
        else:
            self.refresh()

    # -- what it shows --------------------------------------------------------------------------
    def _show_room(self) -> None:
        import segno

        session = self.session
        if session.join_url:
            png = io.BytesIO()
            segno.make(session.join_url, error="m").save(png, kind="png", scale=5, border=2)
            alt = _("QR code that opens {url}").format(url=session.join_url)
            self.qr.value = (
                f'<img width="160" alt="{text(alt)}" '
                f'src="data:image/png;base64,{base64.b64encode(png.getvalue()).decode()}">'
            )
            # The translated sentences hold a link: the words are escaped, the markup is ours.
            presenter = (
                "<br>"
                + text(
                    _(
                        "{link}Open the presenter display{end} "
                        "(a new window: put it on the projector)"
                    )
                ).format(
                    link=f"<a href='{text(session.presenter_url)}' target='_blank' rel='noopener'>",
                    end="</a>",
                )
                if session.presenter_url
                else ""
            )
            code = text(_("Room code {code}")).format(
                code=f"<strong style='font-size:1.6em'>{text(session.room)}</strong>"
            )
            join = text(_("Join at {url}")).format(
                url=f"<a href='{text(session.join_url)}'>{text(session.join_url)}</a>"
            )
            self.room_label.value = f"<p>{code}<br>{join}{presenter}</p>"
        else:
            self.qr.layout.display = "none"
            self.room_label.value = "<p>{}</p>".format(
                text(_("Rehearsal room on this computer (no one else can join)."))
            )
        # the room's language, in its own name (the participants' pages show themselves in it)
        self.room_label.value += "<p>{}</p>".format(
            text(_("Language: {language}").format(language=i18n.language_name(session.language)))
        )
        self.count_label.value = "<p>{}</p>".format(text(_("Connecting to the room…")))

    def refresh(self) -> None:
        """Show the room as it is now (solo and rehearsal sessions read it in process)."""
        if self.session.mode == "solo":
            self.session.watcher.sync()

    def _room_changed(self, update: Update) -> None:
        if update.error:
            message = _("{error} Reconnecting…").format(error=update.error)
            self.count_label.value = f"<p>⚠ {text(message)}</p>"
            return
        room = update.room
        if room is not None and room.participants is not None:
            self.participants = room.participants
            joined = room.participants
            words = ngettext(
                "{count} participant has joined.", "{count} participants have joined.", joined
            ).format(count=format_number(joined))
            self.count_label.value = f"<p>{text(words)}</p>"

    def _question_changed(self, update: Update) -> None:
        if update.error:
            self.state_label.show("error", _("{error} Reconnecting…").format(error=update.error))
            return
        question, results = update.question, update.results
        if question is None:
            self.state_label.show(
                "info",
                SEPARATOR.join([state_words("draft"), _("results hidden from participants")]),
            )
            self._show_reflections(None)
            return
        state = state_words(question.state)
        shown = (
            _("results shown to participants")
            if question.revealed
            else _("results hidden from participants")
        )
        tally = results.tally if results is not None else None
        total = tally.total if tally is not None else 0
        self.state_label.show("info", SEPARATOR.join([state, shown, responses_words(total)]))
        self._show_reflections(results)

    def _show_reflections(self, results: Results | None) -> None:
        reflections = results.reflections if results is not None else []
        flagged = [r for r in reflections if r.get("flags")]
        pending = [r for r in reflections if not r.get("flags") and r["moderation"] == "pending"]
        if flagged:
            resources = "".join(
                f"<li>{text(r.name)}: {text(r.contact)}"
                f"{' — ' + text(r.note) if r.note else ''}</li>"
                for r in self.session.content.safety.resources_for(self.session.language)
            )
            quotes = "".join(f"<blockquote>{text(r['text'])}</blockquote>" for r in flagged)
            count = len(flagged)
            warning = ngettext(
                "{count} reflection uses words that may signal crisis.",
                "{count} reflections use words that may signal crisis.",
                count,
            ).format(count=format_number(count))
            advice = ngettext(
                "It is never shown to the group. Consider a private, gentle check-in "
                "(a co-facilitator can help).",
                "They are never shown to the group. Consider a private, gentle check-in "
                "(a co-facilitator can help).",
                count,
            )
            self.flagged.value = (
                f"<p><strong>{text(warning)}</strong> {text(advice)}</p>"
                f"<ul>{resources}</ul>{quotes}"
            )
        else:
            self.flagged.value = ""
        for row, reflection in zip(self.rows, pending + [None] * len(self.rows), strict=False):
            row.show(reflection)
        more = len(pending) - len(self.rows)
        if not pending and not flagged:
            self.waiting.value = "<p>{}</p>".format(text(_("No reflections waiting.")))
        elif more > 0:
            words = ngettext("{count} more waiting.", "{count} more waiting.", more)
            self.waiting.value = f"<p>{text(words.format(count=format_number(more)))}</p>"
        else:
            self.waiting.value = ""
        self.private.set_title(
            0,
            _("Reflections to moderate (private): {waiting} waiting, {flagged} flagged").format(
                waiting=format_number(len(pending)), flagged=format_number(len(flagged))
            ),
        )

    # -- actions -------------------------------------------------------------------------------
    def _select(self, item: tuple[str, str]) -> None:
        self.current, self.current_tag = item
        self.confirm_reset.layout.display = "none"
        if self._subscription is not None:
            self._subscription.cancel()
        self._subscription = self.session.watcher.subscribe(
            self._question_changed, self.current, self.current_tag
        )
        self.refresh()

    def _info(self) -> QuestionInfo:
        """The room's question for the current item (added to the room on first use)."""
        info = self.session.question(self.current, self.current_tag)
        assert info is not None
        return info

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
            self.state_label.show(
                "info", _("Reset deletes this question's answers. Confirm below.")
            )
            return
        room = self.session.watcher.room
        known = room.find(self.current, self.current_tag) if room is not None else None
        try:
            question_id = known.id if known is not None else self._info().id
            info = self.session.act(question_id, action)
        except ClientError as exc:
            self.state_label.show("error", exc.message)
            return
        self.confirm_reset.layout.display = "none"
        state = state_words(info.state)
        shown = _("results shown to participants") if info.revealed else _("results hidden")
        self.state_label.show("info", SEPARATOR.join([state, shown, _("updating…")]))
        self.refresh()

    def moderate(self, response_id: int | None, approve: bool) -> None:
        if response_id is None:
            return
        try:
            self.session.moderate(response_id, approve)
        except ClientError as exc:
            self.state_label.show("error", exc.message)
            return
        self.refresh()

    def close(self) -> None:
        """Stop following the room and close the console and its parts."""
        self._room_subscription.cancel()
        if self._subscription is not None:
            self._subscription.cancel()
        for child in (*self.rows, self.moderation, self.private):
            child.close()
        super().close()
