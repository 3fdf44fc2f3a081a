"""The record of a session: CSV exports and a self-contained HTML report of every chart."""

from __future__ import annotations

import base64
import html
from datetime import UTC, datetime
from pathlib import Path

from .client import ClientError, Session
from .model import MIN_GROUP_SIZE, ScaleQuestion

__all__ = ["export_room", "report_html"]


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
        tally = results.tally or {}
        question = info.question
        enough = tally.get("answered", tally.get("n", 0)) >= results.min_group
        png = charts.poll_png(question, tally, below_minimum=results.min_group)
        if not enough:
            text = f"Fewer than {results.min_group} answers; results are not shown."
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
        sections.insert(
            0,
            f"<section><h2>Before and after: {_esc(scale.question.title)}</h2>"
            f'<img alt="{_esc(text)}" src="data:image/png;base64,{base64.b64encode(png).decode()}">'
            f"<p>{_esc(text)}</p><p><em>{_esc(scale.question.note)}</em></p></section>",
        )
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>peerkit workshop report: room {_esc(session.room)}</title>"
        "<style>body{font-family:system-ui,sans-serif;max-width:52rem;margin:2rem auto;"
        "padding:0 1rem;line-height:1.5}img{max-width:100%}blockquote{border-left:4px solid "
        "#0072B2;margin:.5rem 0;padding:.25rem 1rem}section{margin-bottom:2.5rem}</style>"
        "</head><body>"
        f"<h1>Workshop report</h1><p>Room {_esc(session.room)}, written {when}. Figures are "
        "group totals; answers are anonymous, and results with fewer answers than the minimum "
        "group size are left out.</p>" + "".join(sections) + "</body></html>"
    )


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
