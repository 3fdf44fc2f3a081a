"""What each role sees of a question, and the participants' snapshot of a room.

No HTTP in here: handlers turn these dicts into JSON.
"""

from __future__ import annotations

from dataclasses import dataclass
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


@dataclass(frozen=True)
class Snapshot:
    """What every participant of a room sees, computed once per change of the room."""

    key: tuple
    shared: dict
    answers: dict[int, Any]


def room_snapshot(store: Store, code: str, cache: dict[str, Snapshot]) -> Snapshot:
    """The room's participant-facing state, reused until its current question changes.

    Runs on the store thread (which is also the only user of ``cache``).
    """
    room = store.room(code)
    qid = room.current_question
    key = (qid, store.version(qid) if qid else 0, room.min_group, room.title)
    cached = cache.get(room.code)
    if cached is not None and cached.key == key:
        return cached
    shared: dict[str, Any] = {"room": room.code, "title": room.title, "question": None}
    answers: dict[int, Any] = {}
    record = store.question(qid) if qid else None
    if record is not None and record.state != "draft":
        view = results_view(store, record, "participant", None, (room, store.tally(record.id)))
        shared["question"] = participant_view(record)
        shared["results"] = None
        if view.tally is not None:
            shared["results"] = view.tally.as_dict()
            if record.question.kind != "text":  # drawn by the shared chart.js on the page
                shared["results"]["view"] = chart_view(record.question, shared["results"])
            if view.approved is not None:
                shared["results"]["reflections"] = list(view.approved)
        answers = store.answers_by_participant(record.id)
    snapshot = Snapshot(key, shared, answers)
    cache[room.code] = snapshot
    return snapshot
