"""Tidy pandas tables of a room's answers (peerkit.report), and the report's use of them."""

from __future__ import annotations

import pandas as pd
import pytest

import peerkit
from peerkit.client import LocalSession
from peerkit.report import RESULT_COLUMNS, pre_post_frame, report_html, results_frame


@pytest.fixture
def room() -> LocalSession:
    """A rehearsal room of 12 with the pre/post scale asked twice, a vote and a reflection."""
    session = peerkit.rehearse(12, seed=3)
    for content_id, tag in [
        ("autonomy-control", "pre"),
        ("autonomy-control", "post"),
        ("housing-call", ""),
        ("rescuer-closing", ""),
    ]:
        session.act(session.question(content_id, tag).id, "open")
    return session


def test_results_frame_has_one_row_per_answer_with_anonymous_numbers(room: LocalSession) -> None:
    frame = results_frame(room)
    assert list(frame.columns) == RESULT_COLUMNS
    responses = sum(len(room.store.responses(info.id)) for info in room.questions())
    assert len(frame) == responses == 4 * 12
    assert sorted(frame["participant"].unique()) == list(range(1, 13))
    assert set(frame["kind"]) == {"scale", "choice", "text"}
    assert frame["passed"].dtype == bool
    assert pd.api.types.is_datetime64_any_dtype(frame["answered_at"])
    # No token or internal id reaches the table.
    tokens = set(room._group)
    assert len(tokens) == 12
    assert not frame.astype(str).isin(tokens).any().any()


def test_scale_answers_are_numbers_and_written_as_people_write_them(room: LocalSession) -> None:
    frame = results_frame(room)
    scale = frame[(frame["kind"] == "scale") & ~frame["passed"]]
    assert pd.api.types.is_float_dtype(scale["value"])
    assert (scale["answer"] == scale["value"].map(lambda v: str(int(v)))).all()
    assert not scale["answer"].str.endswith(".0").any()
    others = frame[(frame["kind"] != "scale") | frame["passed"]]
    assert others["value"].isna().all()


def test_pre_post_frame_pairs_each_participants_two_answers(room: LocalSession) -> None:
    frame = pre_post_frame(room)
    assert list(frame.columns) == ["participant", "before", "after", "change"]
    _pre, _post, comparison = room.store.pre_post(room.room, "autonomy-control")
    both = frame.dropna()
    assert len(both) == len(comparison.paired)
    assert sorted(zip(both["before"], both["after"], strict=True)) == sorted(comparison.paired)
    assert (both["change"] == both["after"] - both["before"]).all()
    assert (both["change"] > 0).sum() == comparison.moved["towards_high"]


def test_a_reflection_that_looks_like_a_formula_comes_back_as_written() -> None:
    session = LocalSession(role="facilitator")
    info = session.act(session.question("rescuer-closing").id, "open")
    session.respond(info.id, "=talk first, then decide")
    assert results_frame(session)["answer"].tolist() == ["=talk first, then decide"]


def test_an_empty_room_gives_an_empty_table_with_the_columns() -> None:
    frame = results_frame(peerkit.rehearse(3, seed=1))
    assert frame.empty and list(frame.columns) == RESULT_COLUMNS
    assert pre_post_frame(peerkit.rehearse(3, seed=1)).empty


def test_the_report_counts_changes_from_the_pre_post_frame(room: LocalSession) -> None:
    page = report_html(room)
    changes = pre_post_frame(room)["change"].dropna()
    assert f"among the {len(changes)} people who answered both times" in page
    for change, count in changes.value_counts().items():
        shown = f"+{int(change)}" if change > 0 else str(int(change))
        assert f"<tr><td>{shown}</td><td>{count}</td></tr>" in page


def test_the_report_leaves_out_changes_of_too_few_people() -> None:
    session = peerkit.rehearse(2, seed=1)
    for tag in ("pre", "post"):
        session.act(session.question("autonomy-control", tag).id, "open")
    assert "answered both times</caption>" not in report_html(session)


def test_the_worked_example_in_docs_analysis_runs_and_prints_what_it_says(capsys) -> None:
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parent.parent / "docs" / "analysis.md").read_text()
    blocks = re.findall(r"```(python|text)\n(.*?)```", text, re.S)
    namespace: dict = {}
    for kind, code in blocks:
        if kind == "python":
            exec(code, namespace)  # the documentation's own example
    printed = capsys.readouterr().out.strip()
    assert printed == blocks[-1][1].strip()
    shown = namespace["moved"].head(4).to_string()
    assert shown in text
