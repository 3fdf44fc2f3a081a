"""The room change feed: one small summary of a room, read from a store.

The poll service answers ``GET /api/v1/rooms/<code>/events`` with it, and solo and rehearsal
sessions read the same summary in process, so a session's watcher sees one shape either way.
The room's version grows with every change in the room (a question added, opened, closed,
revealed, hidden or reset, an answer stored, a reflection moderated, a participant joined), so
a client that passes the last version it saw learns about every change, however many it
missed in between.
"""

from __future__ import annotations

from .model import PASS
from .store import Store

__all__ = ["room_feed"]


def room_feed(store: Store, code: str, *, facilitator: bool) -> dict:
    """The room ``code`` now, for its facilitator (every question, how many joined, how many
    reflections wait for moderation) or for a participant (the questions that have been
    opened; no counts). Runs where the store may block (the service's store thread)."""
    room = store.room(code)
    records = store.questions(room.code)
    joined = store.participant_count(room.code)
    data: dict = {
        "room": room.code,
        "version": sum(r.version for r in records) + joined,
        "current": room.current_question,
    }
    if facilitator:
        data["participants"] = joined
        data["pending"] = sum(
            1
            for r in records
            if r.question.kind == "text"
            for response in store.responses(r.id)
            if response.moderation == "pending" and response.answer != PASS
        )
    else:
        records = [r for r in records if r.state != "draft"]
    data["questions"] = [
        {
            "id": r.id,
            "source": r.source,
            "tag": r.tag,
            "state": r.state,
            "revealed": r.revealed,
            "version": r.version,
        }
        for r in records
    ]
    return data
