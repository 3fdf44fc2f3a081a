"""What each role sees of a question.

No HTTP in here: handlers turn these dicts into JSON.
"""

from __future__ import annotations

from typing import Any

from ..chartview import chart_view
from ..model import PASS, question_to_dict
from ..room import results_view
from ..store import QuestionRecord, Store


def participant_view(record: QuestionRecord) -> dict:
    """What a participant may see of a question: no debriefs, no stances, no spectrum positions
    (they would tell people which answer the facilitator hopes for)."""
    view = question_to_dict(record.question)
    view.pop("debrief", None)
    if "options" in view:
        view["options"] = [{"id": o["id"], "text": o["text"]} for o in view["options"]]
    view.setdefault("title", "")
    view.update(
        id=record.id,
        source=record.source,
        tag=record.tag,
        state=record.state,
        revealed=record.revealed,
    )
    view["pass"] = PASS
    return view


def facilitator_view(record: QuestionRecord) -> dict:
    """Everything about a question, for its room's facilitator."""
    return {
        "id": record.id,
        "position": record.position,
        "state": record.state,
        "revealed": record.revealed,
        "version": record.version,
        "source": record.source,
        "tag": record.tag,
        "question": question_to_dict(record.question),
    }


def room_view(store: Store, code: str) -> tuple[dict, QuestionRecord | None]:
    """What every participant of room ``code`` sees now: its current question (if open to
    answers or past that) and the results the room core lets participants see; with the
    question's record, or None when there is no question to show. Runs on the store thread."""
    found = store.room(code)
    shared: dict[str, Any] = {
        "room": found.code,
        "title": found.title,
        "language": found.language,
        "question": None,
    }
    qid = found.current_question
    record = store.question(qid) if qid else None
    if record is None or record.state == "draft":
        return shared, None
    shared["question"] = participant_view(record)
    shared["results"] = None
    results = results_view(store, record, "participant", None, (found, store.tally(record.id)))
    if results.tally is not None:
        shared["results"] = results.tally.as_dict()
        if record.question.kind != "text":  # drawn by the shared chart.js on the page
            shared["results"]["view"] = chart_view(
                record.question, results.tally, language=found.language
            )
        if results.approved is not None:
            shared["results"]["reflections"] = list(results.approved)
    return shared, record
