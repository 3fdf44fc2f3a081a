"""One module's notebook, built from ``data/``: the cells a facilitator runs, kept short.

A notebook says *which* part of its module to show (``ws.scenario(0)``, ``ws.slider()``); the
words of every scenario, option, debrief, slider and prompt come from ``data/``, so an educator
adds a scenario file and it appears in the module's notebook with no code edited.
"""

from __future__ import annotations

import html

import ipywidgets as w

from .client import Session, connect
from .content import Scenario
from .widgets import (
    AutonomySlider,
    FacilitatorConsole,
    LivePollChart,
    ReflectionBox,
    ScenarioVote,
    close_tree,
)
from .widgets.stage import add_controls

__all__ = ["Workshop"]


#: How many scenarios a notebook shows one by one; the rest appear under "more scenarios".
MAIN_SCENARIOS = 3


def _esc(value: object) -> str:
    return html.escape(str(value))


class Workshop:
    """The building blocks of one module's notebook, for the facilitator or a participant."""

    def __init__(self, module: str, session: Session | None = None) -> None:
        self.session = session or connect()
        self.content = self.session.content
        self.module = self.content.module(module)
        self._console: FacilitatorConsole | None = None
        #: The widgets each question was last shown with: re-running a cell closes the old ones,
        #: so they stop following the room.
        self._shown: dict[tuple, w.Widget] = {}

    # -- who is running this notebook ------------------------------------------------------
    @property
    def rehearsal(self) -> bool:
        from .rehearsal import RehearsalSession

        return isinstance(self.session, RehearsalSession)

    def mode_note(self) -> w.HTML:
        """One line saying how this notebook is connected, so nobody is confused."""
        s = self.session
        if self.rehearsal:
            text = (
                f"Rehearsal: {s.participant_count()} simulated participants answer each question "
                "as it opens. Nothing is sent anywhere."
            )
        elif s.mode == "solo":
            text = (
                "Self-paced: your answers stay on this computer, and charts compare them with an "
                "illustrative example group."
            )
        elif s.is_facilitator:
            text = f"Live room {s.room}: participants join at {s.join_url}"
        else:
            text = f"Live room {s.room}: your answers are anonymous."
        return w.HTML(f"<p><strong>{_esc(text)}</strong></p>")

    # -- the module --------------------------------------------------------------------------
    def intro(self) -> w.HTML:
        m = self.module
        objectives = "".join(f"<li>{_esc(o)}</li>" for o in m.objectives)
        timing = "".join(
            f"<tr><td>{_esc(segment)}</td><td>{minutes} min</td></tr>"
            for segment, minutes in m.timing
        )
        return w.HTML(
            f"<h2>{_esc(m.title)}</h2><p>{_esc(m.summary)}</p>"
            f"<h4>By the end of this session you will be able to</h4><ul>{objectives}</ul>"
            f"<h4>Timing ({m.minutes} minutes)</h4>"
            f"<table><thead><tr><th>Segment</th><th>Time</th></tr></thead>"
            f"<tbody>{timing}</tbody></table>"
        )

    def console(self) -> w.Widget:
        """The facilitator console for this module (a note instead for participants)."""
        if not self.session.is_facilitator:
            return w.HTML(
                "<p><em>The facilitator runs the questions. Answer each one below when it opens; "
                "you can pass on any question.</em></p>"
            )
        if self._console is None:
            self._console = FacilitatorConsole(self.session, module=self.module.id)
        return self._console

    @property
    def scenarios(self) -> list[Scenario]:
        return self.content.scenarios_for(self.module.id)

    # -- one scenario ------------------------------------------------------------------------
    def scenario(self, index: int) -> w.VBox:
        """The vote for the module's scenario number ``index`` and the group's live chart."""
        scenario = self.scenarios[index]
        self._prepare(scenario.id)
        vote = add_controls(ScenarioVote(self.session, scenario.id), self.session)
        chart = LivePollChart(self.session, scenario.id)
        return self._replace(("scenario", scenario.id), w.VBox([vote, chart]))

    def debrief(self, index: int) -> w.HTML:
        """Why each response lands where it does, from the scenario's file."""
        question = self.scenarios[index].question
        rows = "".join(
            f"<li><strong>{_esc(o.text)}</strong>"
            f"{' <em>(' + _esc(o.stance.replace('-', ' ')) + ')</em>' if o.stance else ''}"
            f"<br>{_esc(o.debrief)}</li>"
            for o in question.options
        )
        summary = f"<p>{_esc(question.debrief)}</p>" if question.debrief else ""
        return w.HTML(f"<h4>Debrief: {_esc(question.title)}</h4>{summary}<ul>{rows}</ul>")

    def more_scenarios(self) -> w.Widget:
        """Every scenario of the module beyond the first three, as tabs: for longer sessions,
        and where scenario files added to ``data/`` appear."""
        extra = self.scenarios[MAIN_SCENARIOS:]
        if not extra:
            return w.HTML("<p>No further scenarios for this module.</p>")
        tabs = w.Tab(
            children=[
                w.VBox([self.scenario(MAIN_SCENARIOS + i), self.debrief(MAIN_SCENARIOS + i)])
                for i in range(len(extra))
            ]
        )
        for i, scenario in enumerate(extra):
            tabs.set_title(i, scenario.question.title)
        return tabs

    # -- sliders, discussion, reflection ----------------------------------------------------
    def slider(self, scale_id: str | None = None, tag: str = "") -> w.VBox:
        """An autonomy–control slider (the module's own unless one is named) and its chart."""
        if scale_id is None:
            scales = self.content.scales_for(self.module.id)
            scale_id = scales[0].id if scales else self.content.pre_post_scale.id
        self._prepare(scale_id, tag)
        box = w.VBox(
            [
                add_controls(AutonomySlider(self.session, scale_id, tag), self.session),
                LivePollChart(self.session, scale_id, tag),
            ]
        )
        return self._replace(("slider", scale_id, tag), box)

    def pre_post(self) -> LivePollChart:
        """How the group moved on the pre/post scale between the opening and the close."""
        scale_id = self.content.pre_post_scale.id
        self._prepare(scale_id, "post")
        return self._replace(
            ("pre-post", scale_id), LivePollChart(self.session, scale_id, compare=True)
        )

    def discussion(self) -> w.HTML:
        prompts = "".join(f"<li>{_esc(p)}</li>" for p in self.module.discussion)
        return w.HTML(
            "<h4>In small groups of three or four</h4><ol>" + prompts + "</ol>"
            "<p><em>Share headlines, not details. "
            "Nobody has to speak, and anyone may pass.</em></p>"
        )

    def reflection(self, index: int = 0) -> ReflectionBox:
        prompt = self.content.prompts_for(self.module.id)[index]
        self._prepare(prompt.id)
        box = add_controls(ReflectionBox(self.session, prompt.id), self.session)
        return self._replace(("reflection", prompt.id), box)

    def _replace(self, key: tuple, widget: w.Widget) -> w.Widget:
        """Keep ``widget`` as what ``key`` shows, closing what it showed before (the output of a
        cell that was run again), so old widgets stop following the room."""
        old = self._shown.get(key)
        if old is not None:
            close_tree(old)
        self._shown[key] = widget
        return widget

    def _prepare(self, content_id: str, tag: str = "") -> None:
        """In a rehearsal, open each question as it is shown, so the simulated group answers
        (a "post" question's "pre" twin first, when a rehearsal starts at the closing session)."""
        if not self.rehearsal:
            return
        if tag == "post":
            self._prepare(content_id, "pre")
        info = self.session.question(content_id, tag)
        if info is not None and info.state == "draft":
            self.session.act(info.id, "open")

    # -- the record of the session ----------------------------------------------------------
    def export(self, folder: str = "exports") -> w.HTML:
        """Write the room's results: group totals (CSV), one row per response (CSV, anonymous
        numbers only) and a self-contained HTML report with every chart. Facilitator only."""
        from .report import export_room

        if not self.session.is_facilitator:
            return w.HTML("<p><em>The facilitator exports the group's results.</em></p>")
        paths = export_room(self.session, folder)
        items = "".join(f"<li><code>{_esc(p)}</code></li>" for p in paths)
        return w.HTML(f"<p>Saved the room's results:</p><ul>{items}</ul>")

    def __repr__(self) -> str:
        return (
            f"Workshop({self.module.id!r}, mode={self.session.mode!r}, role={self.session.role!r})"
        )
