"""The results chart: a view model in one JSON trait, drawn in the browser by ``chart.js``."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import anywidget
import traitlets

from .. import i18n
from ..chartview import chart_state, chart_view, pre_post_view
from ..client import ClientError, Session
from ..i18n import _, format_number, ngettext, pgettext
from ..model import ScaleQuestion, Tally
from ..model import tally as make_tally
from ..watcher import QuestionState, Update
from .common import STATIC

log = logging.getLogger(__name__)


#: A question's state in words (translated where shown).
def state_words(state: str) -> str:
    """A question's state as the status lines name it ("Open" here is a state, not a button)."""
    if state == "open":
        return pgettext("question state", "Open")
    if state == "closed":
        return pgettext("question state", "Closed")
    return _("Not opened yet")


#: Separates the independent parts of a status line ("Open · results hidden · 3 responses").
SEPARATOR = " · "


def responses_words(total: int) -> str:
    """How many responded, in words."""
    return ngettext("{count} response", "{count} responses", total).format(
        count=format_number(total)
    )


class ChartWidget(anywidget.AnyWidget):
    """A chart view model (:func:`peerkit.chartview.chart_view`) drawn as accessible HTML/SVG."""

    _esm = STATIC / "chart.js"
    _css = STATIC / "chart.css"
    view = traitlets.Dict(help="The chart view model, as chartview.chart_view returns it.").tag(
        sync=True
    )
    strings = traitlets.Dict(
        help="The words chart.js writes itself, in the kernel's language (i18n.page_catalog)."
    ).tag(sync=True)

    @traitlets.default("strings")
    def _strings(self) -> dict:
        return dict(i18n.page_catalog(i18n.active()))


def question_status(question: QuestionState | None, tally: Tally | None, facilitator: bool) -> str:
    """The short line above a chart: the question's state, and for the facilitator whether
    participants see the results and how many responded."""
    if question is None:
        return state_words("draft")
    words = state_words(question.state)
    if not facilitator or question.state == "draft":
        return words
    seen = _("shown to participants") if question.revealed else _("hidden from participants")
    total = tally.total if tally is not None else 0
    return SEPARATOR.join([words, seen, responses_words(total)])


class LivePollChart(ChartWidget):
    """The group's answers to one question, following the room through the session's watcher.

    Bars for a scenario (and where the group leans), a distribution with median and quartiles
    for a scale, or the movement of one scale between its "pre" and "post" questions
    (``compare=True``). Counts and percentages are written out as text.
    """

    content_id = traitlets.Unicode(help="The scenario, scale or prompt id.").tag(sync=True)
    tag = traitlets.Unicode("").tag(sync=True)
    tally = traitlets.Any(None, allow_none=True, help="The tally last shown (a model Tally).")
    version = traitlets.Int(-1, help="The results version last shown.")
    redraws = traitlets.Int(0, help="How many different views the chart has been sent.")

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
        super().__init__(**kwargs)
        self.session = session
        self.content_id = content_id
        self.tag = "post" if compare else tag
        self.compare = compare
        self.respect_minimum = respect_minimum
        self.question = session.content.question(content_id)
        self._tasks: set[asyncio.Task] = set()
        if compare and not isinstance(self.question, ScaleQuestion):
            raise TypeError(f"{content_id!r} is not a scale, so it has no before and after")
        self._subscription = (
            session.watcher.subscribe(self.show, content_id, self.tag) if follow else None
        )
        self._set(chart_view(self.question, None, state="waiting", status=_("Connecting…")))
        if session.mode == "solo":  # read in process: nothing waits on a network
            self.refresh()

    @property
    def following(self) -> bool:
        return self._subscription is not None and self._subscription.active

    def _set(self, view: dict) -> None:
        if view != self.view:
            self.view = view
            self.redraws += 1

    # -- what to show -------------------------------------------------------------------------
    def refresh(self) -> None:
        """Read the room now and show it. In a live room this waits on the service, so only
        scripts and tests call it; notebooks get their updates from the session's watcher."""
        session = self.session
        room = session.room_state()
        question = room.find(self.content_id, self.tag)
        results = None
        if question is not None and question.state != "draft":
            results = session.results(question.id)
        self.show(Update(room, question, results))

    def show(self, update: Update) -> None:
        """Draw an update from the watcher (also what :meth:`refresh` draws)."""
        if update.error:
            status = _("{error} Reconnecting…").format(error=update.error)
            self._set({**self.view, "status": f"⚠ {status}"})
            return
        if self.compare:
            self._show_compare(update)
            return
        session = self.session
        question, results = update.question, update.results
        tally = results.tally if results is not None else None
        own = None
        if session.mode == "solo" and not session.is_facilitator:
            own = session.my_answer(question.id) if question is not None else None
            tally = self._illustrative()
            state = chart_state(
                facilitator=False,
                solo=True,
                opened=True,
                revealed=True,
                answered=0,
                min_group=0,
                has_tally=tally is not None,
                has_example=tally is not None,
            )
        else:
            state = chart_state(
                facilitator=session.is_facilitator,
                solo=False,
                opened=question is not None and question.state != "draft",
                revealed=bool(question and question.revealed),
                answered=tally.answered if tally is not None else 0,
                min_group=results.min_group if results is not None else 0,
                has_tally=tally is not None,
                respect_minimum=self.respect_minimum,
            )
        self.tally = results.tally if results is not None else None
        if results is not None:
            self.version = results.version
        self._set(
            chart_view(
                self.question,
                tally if state not in ("waiting", "withheld") else None,
                state=state,
                min_group=results.min_group if results is not None else None,
                own_answer=own,
                status=question_status(question, self.tally, session.is_facilitator),
            )
        )

    def _illustrative(self) -> Tally | None:
        examples = self.session.content.examples
        if self.content_id in examples.choices:
            counts = examples.choices[self.content_id]
            answers: list[object] = [k for k, n in counts.items() for _ in range(n)]
        elif self.content_id in examples.scales:
            answers = list(examples.scales[self.content_id])
        else:
            return None
        return make_tally(self.question, answers)

    def _show_compare(self, update: Update) -> None:
        if self.session.mode == "solo":
            self._show_comparison(update, self.session.pre_post(self.content_id))
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        task = loop.create_task(self._fetch_comparison(update))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _fetch_comparison(self, update: Update) -> None:
        try:
            comparison = await self.session.apre_post(self.content_id)
        except ClientError as exc:
            self._set({**self.view, "status": f"⚠ {exc.message}"})
            return
        self._show_comparison(update, comparison)

    def _show_comparison(self, update: Update, comparison: dict) -> None:
        assert isinstance(self.question, ScaleQuestion)
        results = update.results
        self._set(
            pre_post_view(
                self.question,
                comparison,
                min_group=results.min_group if results is not None else None,
                status=_("Before and after the workshop"),
            )
        )

    def close(self) -> None:
        """Stop following the room and close the widget (a re-run cell calls this)."""
        if self._subscription is not None:
            self._subscription.cancel()
        super().close()
