"""What each role sees of a question.

No HTTP in here: handlers turn these dicts into JSON.
"""

from __future__ import annotations

from ..model import PASS, question_to_dict
from ..store import QuestionRecord


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
