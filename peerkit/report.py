"""The record of a session: tidy pandas tables, CSV exports and a self-contained HTML report.

:func:`results_frame` and :func:`pre_post_frame` give a room's answers as pandas DataFrames for
analysis (see ``docs/analysis.md``); the HTML report draws its counts from them. pandas loads only
when one of them is first called.
"""

from __future__ import annotations

import base64
import html
import io
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from .client import ClientError, Session
from .i18n import _, active, format_datetime, format_number, html_lang, ngettext
from .model import MIN_GROUP_SIZE, PASS, ScaleQuestion
from .store.base import _FORMULA_START

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["export_room", "pre_post_frame", "report_html", "results_frame"]

#: The columns of :func:`results_frame`, in order.
RESULT_COLUMNS = [
    "participant",
    "question",
    "content_id",
    "tag",
    "kind",
    "answer",
    "value",
    "passed",
    "moderation",
    "answered_at",
]


def results_frame(session: Session) -> pd.DataFrame:
    """Every answer in the room, one row each (a tidy table for pandas).

    Columns: ``participant`` (an anonymous number, 1, 2, 3 ... within this table, the same
    person on every row they answered), ``question`` (its position in the room), ``content_id``
    (the scenario, scale or prompt id in ``data/``), ``tag`` (``"pre"``, ``"post"`` or empty),
    ``kind`` (``choice``, ``scale`` or ``text``), ``answer`` (the option id, the scale point or
    the reflection, as text), ``value`` (the scale point as a number; empty for other kinds and
    for a pass), ``passed`` (True for "pass / prefer not to say"), ``moderation`` (for
    reflections) and ``answered_at`` (UTC). Names and tokens are never in it.

    It is the room's per-response export, so it is for the facilitation team only: it holds
    every reflection as written, flagged and rejected ones included. Like the export, it needs
    the facilitator's session.
    """
    import pandas as pd

    text = session.export_csv(per_response=True)
    if not text.strip():
        return pd.DataFrame({column: pd.Series(dtype=object) for column in RESULT_COLUMNS})
    raw = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    answer = raw["answer"].map(_uncell)
    scale = raw["kind"].eq("scale") & answer.ne(PASS)
    frame = pd.DataFrame(
        {
            "participant": raw["participant"].astype(int),
            "question": raw["question"].astype(int),
            "content_id": raw["question_id"],
            "tag": raw["tag"],
            "kind": raw["kind"],
            "answer": [_number(a) if s else a for a, s in zip(answer, scale, strict=True)],
            "value": pd.to_numeric(answer.where(scale), errors="coerce"),
            "passed": answer.eq(PASS),
            "moderation": raw["moderation"],
            "answered_at": pd.to_datetime(raw["answered_at"], utc=True, format="ISO8601"),
        }
    )
    return frame[RESULT_COLUMNS]


def pre_post_frame(session: Session, scale_id: str | None = None) -> pd.DataFrame:
    """Each participant's opening ("pre") and closing ("post") answers to the pre/post scale.

    One row per anonymous participant who answered either time: ``participant``, ``before``,
    ``after`` and ``change`` (``after - before``; empty unless both are answers, not passes).
    ``scale_id`` defaults to the content's pre/post scale.
    """
    import pandas as pd

    scale_id = scale_id or session.content.pre_post_scale.id
    answers = results_frame(session)
    rows = answers[answers["content_id"].eq(scale_id) & answers["tag"].isin(["pre", "post"])]
    wide = rows.pivot_table(index="participant", columns="tag", values="value", aggfunc="first")
    wide = wide.reindex(columns=["pre", "post"]).reindex(sorted(set(rows["participant"])))
    frame = pd.DataFrame(
        {
            "participant": wide.index.astype(int),
            "before": wide["pre"].to_numpy(dtype=float),
            "after": wide["post"].to_numpy(dtype=float),
        }
    )
    frame["change"] = frame["after"] - frame["before"]
    return frame


def _uncell(value: str) -> str:
    """A reflection as written: undo the apostrophe the CSV export puts before a formula."""
    if value.startswith("'") and value[1:2] and value[1] in _FORMULA_START:
        return value[1:]
    return value


def _number(value: str) -> str:
    """A scale point as people write it: "6", not "6.0"."""
    number = float(value)
    return str(int(number)) if number.is_integer() else f"{number:g}"


def _esc(value: object) -> str:
    return html.escape(str(value))


def report_html(session: Session) -> str:
    """One HTML page, with its charts embedded, summarising every question the room ran.

    Only group figures appear: approved reflections, never flagged or unapproved ones, and never
    anyone's individual answers.
    """
    from . import charts

    sections = []
    min_group = MIN_GROUP_SIZE
    for info in session.questions():
        if info.state == "draft":
            continue
        results = session.results(info.id)
        min_group = results.min_group  # the room's, the same for every question
        tally = results.tally
        question = info.question
        enough = tally is not None and tally.answered >= results.min_group
        png = charts.poll_png(question, tally, below_minimum=results.min_group)
        if not enough:
            text = ngettext(
                "Fewer than {count} answer; results are not shown.",
                "Fewer than {count} answers; results are not shown.",
                results.min_group,
            ).format(count=format_number(results.min_group))
        else:
            text = charts.describe(question, tally)
        title = question.title or question.prompt
        approved = [
            r["text"] for r in results.reflections if enough and r.get("moderation") == "approved"
        ]
        quotes = "".join(f"<blockquote>{_esc(t)}</blockquote>" for t in approved)
        tag = f" ({_esc(info.tag)})" if info.tag else ""
        sections.append(
            f"<section><h2>{_esc(title)}{tag}</h2><p>{_esc(question.prompt)}</p>"
            f'<img alt="{_esc(text)}" src="data:image/png;base64,'
            f'{base64.b64encode(png).decode()}"><p>{_esc(text)}</p>{quotes}</section>'
        )
    try:
        scale = session.content.pre_post_scale
        comparison = session.pre_post(scale.id)
    except (ClientError, KeyError):
        comparison = None
    if comparison is not None and min(comparison["pre"]["n"], comparison["post"]["n"]) < min_group:
        comparison = None  # too few answers on one side to show without singling anyone out
    if comparison is not None:
        assert isinstance(scale.question, ScaleQuestion)
        png = charts.pre_post_png(scale.question, comparison)
        text = charts.describe_pre_post(scale.question, comparison)
        heading = _("Before and after: {title}").format(title=scale.question.title)
        sections.insert(
            0,
            f"<section><h2>{_esc(heading)}</h2>"
            f'<img alt="{_esc(text)}" src="data:image/png;base64,{base64.b64encode(png).decode()}">'
            f"<p>{_esc(text)}</p>{_change_table(session, scale.question, min_group)}"
            f"<p><em>{_esc(scale.question.note)}</em></p></section>",
        )
    when = format_datetime(datetime.now(UTC)) + " UTC"
    title = _("peerkit workshop report: room {room}").format(room=session.room)
    intro = _(
        "Room {room}, written {when}. Figures are group totals; answers are anonymous, and "
        "results with fewer answers than the minimum group size are left out."
    ).format(room=session.room, when=when)
    lang = html_lang(active())
    heading = _("Workshop report")
    return (
        f"<!doctype html><html lang='{_esc(lang)}'><head><meta charset='utf-8'>"
        f"<title>{_esc(title)}</title>"
        "<style>body{font-family:system-ui,sans-serif;max-width:52rem;margin:2rem auto;"
        "padding:0 1rem;line-height:1.5}img{max-width:100%}blockquote{border-left:4px solid "
        "#0072B2;margin:.5rem 0;padding:.25rem 1rem}section{margin-bottom:2.5rem}</style>"
        "</head><body>"
        f"<h1>{_esc(heading)}</h1><p>{_esc(intro)}</p>" + "".join(sections) + "</body></html>"
    )


def _change_table(session: Session, question: ScaleQuestion, min_group: int) -> str:
    """How many people moved by how much, among those who answered both times (from
    :func:`pre_post_frame`); nothing when fewer than ``min_group`` did."""
    changes = pre_post_frame(session, question.id)["change"].dropna()
    if len(changes) < min_group:
        return ""
    counts = changes.value_counts().sort_index()
    rows = "".join(
        f"<tr><td>{_esc(_signed(change))}</td><td>{_esc(format_number(count))}</td></tr>"
        for change, count in counts.items()
    )
    caption = ngettext(
        "Change between the two answers, among the {count} person who answered both times",
        "Change between the two answers, among the {count} people who answered both times",
        len(changes),
    ).format(count=format_number(len(changes)))
    change, people = _("Change (points)"), _("People")
    return (
        f"<table><caption>{_esc(caption)}</caption><thead><tr>"
        f"<th scope='col'>{_esc(change)}</th><th scope='col'>{_esc(people)}</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>"
    )


def _signed(change: float) -> str:
    text = format_number(change, digits=2)
    return f"+{text}" if change > 0 else text


def export_room(session: Session, folder: str | Path = "exports") -> list[Path]:
    """Write group totals (CSV), per-response rows (CSV) and the HTML report into ``folder``."""
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    stem = f"peerkit-{session.room}"
    files = {
        out / f"{stem}-totals.csv": session.export_csv(),
        out / f"{stem}-responses.csv": session.export_csv(per_response=True),
        out / f"{stem}-report.html": report_html(session),
    }
    for path, text in files.items():
        path.write_text(text, encoding="utf-8")
    return list(files)
