"""One module's notebook, built from ``data/``: the cells a facilitator runs, kept short.

A notebook says *which* part of its module to show (``ws.scenario(0)``, ``ws.slider()``); the
words of every scenario, option, debrief, slider and prompt come from ``data/``, so an educator
adds a scenario file and it appears in the module's notebook with no code edited.
"""

from __future__ import annotations

import html

import ipywidgets as w
from IPython.display import Markdown

from .client import Session
from .content import Scenario
from .i18n import N_, _, active, format_number, ngettext, pgettext
from .model import PASS, ScaleQuestion, compare_pre_post
from .sessions import connect
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


def _listed(items: list[str], numbered: bool = False) -> list[str]:
    """Markdown list lines, each ending with ';' and the last with '.'."""
    return [
        f"{f'{i}.' if numbered else '-'} {item}{'.' if i == len(items) else ';'}"
        for i, item in enumerate(items, 1)
    ]


def _count(n: int) -> str:
    """A small count in words ("four"), a larger one in figures."""
    words = (
        pgettext("count in words", "no"),
        pgettext("count in words", "one"),
        pgettext("count in words", "two"),
        pgettext("count in words", "three"),
        pgettext("count in words", "four"),
        pgettext("count in words", "five"),
        pgettext("count in words", "six"),
        pgettext("count in words", "seven"),
        pgettext("count in words", "eight"),
        pgettext("count in words", "nine"),
        pgettext("count in words", "ten"),
    )
    return words[n] if 0 <= n < len(words) else format_number(n)


#: How the debrief names each option's stance (translated where shown).
STANCE_LABELS = {
    "controlling": N_("controlling"),
    "rescuing": N_("rescuing"),
    "takes-over": N_("takes over"),
    "withdrawing": N_("withdrawing"),
    "autonomy-supporting": N_("autonomy supporting"),
}


def _stance(stance: str) -> str:
    label = STANCE_LABELS.get(stance)
    return _(label) if label else stance.replace("-", " ")


def _minutes(minutes: int) -> str:
    return ngettext("{count} min", "{count} min", minutes).format(count=format_number(minutes))


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
            count = s.participant_count()
            text = ngettext(
                "Rehearsal: {count} simulated participant answers each question as it opens. "
                "Nothing is sent anywhere.",
                "Rehearsal: {count} simulated participants answer each question as it opens. "
                "Nothing is sent anywhere.",
                count,
            ).format(count=format_number(count))
        elif s.mode == "solo":
            head = _("Self-paced: you are working through this on your own.")
            body = _esc(
                _(
                    "Every question is open whenever you reach it, and nobody else sees your "
                    "answers. Charts set your answer beside an illustrative example group. Your "
                    "answers are kept on the computer running this notebook, in {path}, so they "
                    "are still here when you run a notebook again or restart it; to delete them, "
                    "run {command} in a terminal."
                )
            ).format(
                path=f"<code>{_esc(_solo_db())}</code>",
                command="<code>peerkit purge --solo</code>",
            )
            return w.HTML(f"<p><strong>{_esc(head)}</strong> {body}</p>")
        elif s.is_facilitator:
            text = _("Live room {room}: participants join at {url}").format(
                room=s.room, url=s.join_url
            )
        else:
            text = _("Live room {room}: your answers are anonymous.").format(room=s.room)
        return w.HTML(f"<p><strong>{_esc(text)}</strong></p>")

    # -- the module --------------------------------------------------------------------------
    def intro(self) -> w.HTML:
        m = self.module
        objectives = "".join(f"<li>{_esc(o)}</li>" for o in m.objectives)
        timing = "".join(
            f"<tr><td>{_esc(segment)}</td><td>{_esc(_minutes(minutes))}</td></tr>"
            for segment, minutes in m.timing
        )
        able = _("By the end of this session you will be able to")
        heading = ngettext("Timing ({count} minute)", "Timing ({count} minutes)", m.minutes)
        heading = heading.format(count=format_number(m.minutes))
        segment, time = _("Segment"), _("Time")
        return w.HTML(
            f"<h2>{_esc(m.title)}</h2><p>{_esc(m.summary)}</p>"
            f"<h4>{_esc(able)}</h4><ul>{objectives}</ul>"
            f"<h4>{_esc(heading)}</h4>"
            f"<table><thead><tr><th>{_esc(segment)}</th><th>{_esc(time)}</th></tr></thead>"
            f"<tbody>{timing}</tbody></table>"
        )

    def console(self) -> w.Widget:
        """The facilitator console for this module (a note instead for participants)."""
        if self.session.mode == "solo" and not self.session.is_facilitator:
            words = _(
                "Answer each question below in your own time, and change an answer "
                "whenever you like; you can pass on any question."
            )
            return w.HTML(f"<p><em>{_esc(words)}</em></p>")
        if not self.session.is_facilitator:
            words = _(
                "The facilitator runs the questions. Answer each one below when it opens; "
                "you can pass on any question."
            )
            return w.HTML(f"<p><em>{_esc(words)}</em></p>")
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
        scenario = self.scenarios[index]
        question = scenario.question
        rows = "".join(
            f"<li><strong>{_esc(o.text)}</strong>"
            f"{' <em>(' + _esc(_stance(o.stance)) + ')</em>' if o.stance else ''}"
            f"<br>{_esc(o.debrief)}</li>"
            for o in question.options
        )
        summary = f"<p>{_esc(question.debrief)}</p>" if question.debrief else ""
        asks = self.scenarios[index].room_questions
        room = (
            "<h4>"
            + _esc(_("Questions for the room"))
            + "</h4><ul>"
            + "".join(f"<li>{_esc(q)}</li>" for q in asks)
            + "</ul>"
            if asks
            else ""
        )
        if self.scenarios[index].dilemma:
            head = _("A dilemma: there is no single best answer here.")
            body = _(
                "Thoughtful peer supporters choose differently; weigh what each choice protects "
                "and what it risks."
            )
            summary = f"<p><strong>{_esc(head)}</strong> {_esc(body)}</p>{summary}"
        title = _("Debrief: {title}").format(title=question.title)
        return w.HTML(f"<h4>{_esc(title)}</h4>{summary}<ul>{rows}</ul>{room}")

    def more_scenarios(self) -> w.Widget:
        """Every scenario of the module beyond the first three, as tabs: for longer sessions,
        and where scenario files added to ``data/`` appear."""
        extra = self.scenarios[MAIN_SCENARIOS:]
        if not extra:
            words = _("No further scenarios for this module.")
            return w.HTML(f"<p>{_esc(words)}</p>")
        tabs = w.Tab(
            children=[
                w.VBox([self.scenario(MAIN_SCENARIOS + i), self.debrief(MAIN_SCENARIOS + i)])
                for i in range(len(extra))
            ]
        )
        # Numbered on from the notebook's own scenario headings: a tab is too narrow for most
        # titles (in a longer language even more so), and each tab opens with its title.
        for i in range(len(extra)):
            tabs.set_title(i, _("Scenario {number}").format(number=MAIN_SCENARIOS + i + 1))
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

    def pre_post(self) -> w.Widget:
        """How the group moved on the pre/post scale between the opening and the close (in
        self-paced mode: your own two answers)."""
        if self.session.mode == "solo" and not self.session.is_facilitator:
            return OwnPrePost(self.session, self.content.pre_post_scale.id)
        scale_id = self.content.pre_post_scale.id
        self._prepare(scale_id, "post")
        return self._replace(
            ("pre-post", scale_id), LivePollChart(self.session, scale_id, compare=True)
        )

    def discussion(self) -> w.HTML:
        prompts = "".join(f"<li>{_esc(p)}</li>" for p in self.module.discussion)
        heading = _("In small groups of three or four")
        advice = _("Share headlines, not details. Nobody has to speak, and anyone may pass.")
        return w.HTML(f"<h4>{_esc(heading)}</h4><ol>{prompts}</ol><p><em>{_esc(advice)}</em></p>")

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

    # -- text from data/ that more than one notebook shows ------------------------------------
    def support(self) -> Markdown:
        """The support resources from ``data/safety.yaml``, for everyone in the room: where to
        turn today, during the session or after it. In the room's language, where
        ``data/safety.<language>.yaml`` lists resources for it."""
        rows = "\n".join(
            (
                _("- **{name}**: {contact}. {note}") if r.note else _("- **{name}**: {contact}")
            ).format(name=r.name, contact=r.contact, note=r.note)
            for r in self.content.safety.resources_for(active())
        )
        intro = _(
            "**Support, now or later.** If anything in this session stirs things up for you, "
            "you can step out at any time, talk to a facilitator privately, or contact:"
        )
        return Markdown(f"{intro}\n\n{rows}")

    def note(self, name: str) -> Markdown:
        """A facilitator note written once in ``data/notes.yaml`` and shown in every notebook
        that needs it."""
        try:
            return Markdown(self.content.notes.facilitator[name])
        except KeyError:
            known = ", ".join(self.content.notes.facilitator) or "none"
            raise KeyError(f"no facilitator note {name!r} in data/notes.yaml ({known})") from None

    def vote_note(self, index: int) -> Markdown:
        """How to run vote number ``index`` (from ``data/notes.yaml``), then anything the
        scenario's own file says for the facilitator."""
        scenario = self.scenarios[index]
        if scenario.dilemma:
            shared = self.note("dilemma-vote")
        else:
            shared = self.note(("first-vote", "next-vote")[index] if index < 2 else "later-vote")
        own = scenario.facilitator_note
        return Markdown(f"{shared.data}\n\n{own}" if own else shared.data)

    def next(self) -> Markdown:
        """Which session comes next, from the module order in ``data/modules/``."""
        following = self.content.next_module(self.module.id)
        if following is None:
            return Markdown(_("This is the last session of the day."))
        number = self.content.position(following.id)
        names = {"number": f"{number:02d}", "title": following.title}
        if following.needs.in_day:
            return Markdown(_("Next: **{number} · {title}**.").format(**names))
        later = next((m for m in self.content.ordered_modules()[number:] if m.needs.in_day), None)
        if later is None:
            return Markdown(
                _("Next: **{number} · {title}**, if your day includes it.").format(**names)
            )
        return Markdown(
            _(
                "Next: **{number} · {title}**, if your day includes it; otherwise "
                "**{other_number} · {other_title}**."
            ).format(
                **names,
                other_number=f"{self.content.position(later.id):02d}",
                other_title=later.title,
            )
        )

    def sessions(self) -> Markdown:
        """The day's sessions after this one, numbered, with optional extensions apart."""
        modules = self.content.ordered_modules()
        day = [m.title for m in modules if m.kind == "principle"]
        extra = [m.title for m in modules if not m.needs.in_day]
        opening = ngettext(
            "After this opening there is {count} short session, each on one principle:",
            "After this opening there are {count} short sessions, each on one principle:",
            len(day),
        ).format(count=_count(len(day)))
        lines = [opening, "", *_listed(day, numbered=True)]
        if extra:
            some = ngettext(
                "Your facilitator may add an optional session:",
                "Your facilitator may add optional sessions:",
                len(extra),
            )
            lines += ["", some, "", *_listed(extra)]
        return Markdown("\n".join(lines))

    def recap(self) -> Markdown:
        """The principles of the day, numbered, each with its one-line recap from data/."""
        day = [m for m in self.content.ordered_modules() if m.kind == "principle"]
        return Markdown(
            "\n".join(
                f"{i}. **{m.title}.**" + (f" {m.recap}" if m.recap else "")
                for i, m in enumerate(day, 1)
            )
        )

    def timetable(self) -> Markdown:
        """The day's plan: every session in order, with its minutes, from ``data/modules/``."""
        rows = [
            f"| {self.content.position(m.id):02d} | "
            + (m.title if m.needs.in_day else _("{title} (optional)").format(title=m.title))
            + f" | {format_number(m.minutes)} |"
            for m in self.content.ordered_modules()
        ]
        total = sum(m.minutes for m in self.content.ordered_modules() if m.needs.in_day)
        head = "| {} | {} | {} |".format(_("notebook"), _("session"), _("minutes"))
        length = ngettext(
            "The day's sessions take {hours} h {minutes} min without breaks.",
            "The day's sessions take {hours} h {minutes} min without breaks.",
            total,
        ).format(hours=format_number(total // 60), minutes=f"{total % 60:02d}")
        return Markdown(f"{head}\n| --- | --- | --- |\n" + "\n".join(rows) + f"\n\n{length}")

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

        if self.session.mode == "solo" and not self.session.is_facilitator:
            words = _esc(
                _(
                    "Working on your own, there is nothing to save here: your answers are "
                    "already kept in {path}."
                )
            ).format(path=f"<code>{_esc(_solo_db())}</code>")
            return w.HTML(f"<p><em>{words}</em></p>")
        if not self.session.is_facilitator:
            words = _("The facilitator exports the group's results.")
            return w.HTML(f"<p><em>{_esc(words)}</em></p>")
        paths = export_room(self.session, folder)
        items = "".join(f"<li><code>{_esc(p)}</code></li>" for p in paths)
        saved = _("Saved the room's results:")
        return w.HTML(f"<p>{_esc(saved)}</p><ul>{items}</ul>")

    def __repr__(self) -> str:
        return (
            f"Workshop({self.module.id!r}, mode={self.session.mode!r}, role={self.session.role!r})"
        )


def _solo_db() -> str:
    from .solo import solo_files

    return str(solo_files()[0])


class OwnPrePost(w.VBox):
    """Self-paced mode: your starting point from the opening session beside your closing answer,
    as a chart and in words. Drawn when the cell runs; run it again after changing an answer."""

    def __init__(self, session: Session, scale_id: str) -> None:
        from . import charts

        super().__init__()
        question = session.content.question(scale_id)
        assert isinstance(question, ScaleQuestion)
        self.question = question
        self.image = w.Image(format="png", layout=w.Layout(max_width="100%"))
        before = session.my_answer(session.question(scale_id, "pre").id)
        after = session.my_answer(session.question(scale_id, "post").id)
        self.before, self.after = before, after
        self.text = _own_change_words(question, before, after)
        children: list[w.Widget] = []
        if isinstance(before, float | int) and isinstance(after, float | int):
            comparison = compare_pre_post(question, {"me": before}, {"me": after}).as_dict()
            self.image.value = charts.pre_post_png(
                question, comparison, note=_("Your own two answers: no group, no one else's.")
            )
            children.append(self.image)
        self.caption = w.HTML(f'<p class="peerkit-chart-text">{_esc(self.text)}</p>')
        self.children = [*children, self.caption]


def _own_change_words(question: ScaleQuestion, before: object, after: object) -> str:
    """One person's before and after on a scale, in words."""
    if before is None:
        return _(
            "Your starting point isn't saved on this computer yet: answer the starting-point "
            "slider in 00-setup, then run this cell again."
        )
    if after is None:
        return _("Answer the slider above, then run this cell again to compare it with your start.")
    if before == PASS or after == PASS:
        return _(
            "You passed on one of the two sliders, so there is nothing to compare. That's fine."
        )
    start, end = float(before), float(after)  # type: ignore[arg-type]
    places = {
        "start": _num(start),
        "start_label": question.anchor_for(start),
        "end": _num(end),
        "end_label": question.anchor_for(end),
    }
    if end == start:
        return _(
            "You started at {start} ({start_label}) and now place yourself at {end} "
            "({end_label}). You stayed where you were."
        ).format(**places)
    pole = question.high_label if end > start else question.low_label
    points = abs(end - start)
    # A fractional count takes the plural form ("2.5 points").
    return ngettext(
        "You started at {start} ({start_label}) and now place yourself at {end} ({end_label}). "
        "That is {points} point towards “{pole}”.",
        "You started at {start} ({start_label}) and now place yourself at {end} ({end_label}). "
        "That is {points} points towards “{pole}”.",
        int(points) if points.is_integer() else 2,
    ).format(**places, points=_num(points), pole=pole)


def _num(value: float) -> str:
    """A number as the active language writes it: 6, 6.5."""
    return format_number(value, digits=2)
