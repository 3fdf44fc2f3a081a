"""What the SQL stores share: turning rows into records, the checks made before a write, and
the per-item savepoints of a batch of responses.

A row is anything that gives its columns by name: ``sqlite3.Row`` or a psycopg ``dict_row``.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from ..model import PASS, Question, TextQuestion, question_from_dict
from .base import (
    STATES,
    Conflict,
    NotFound,
    QuestionClosed,
    QuestionRecord,
    ResponseRecord,
    Room,
    RoomNotFound,
    StoreError,
    Unauthorized,
    check_answer,
    new_join_code,
)

Row = Mapping[str, Any]
T = TypeVar("T")


@functools.lru_cache(maxsize=512)
def parse_question(body: str) -> Question:
    """A stored question, parsed once: questions never change after they are added, and parsing
    one for every response was half the cost of recording it."""
    return question_from_dict(json.loads(body))


def now() -> datetime:
    return datetime.now(UTC)


def stamp(value: str | datetime) -> str:
    """A stored time as the records give it: ISO 8601 in UTC, to the millisecond."""
    if isinstance(value, str):
        return value
    return value.astimezone(UTC).isoformat(timespec="milliseconds")


# -- rows to records ------------------------------------------------------------------------


def room_record(row: Row) -> Room:
    return Room(
        row["code"],
        row["title"],
        row["min_group"],
        stamp(row["created_at"]),
        row["current_question"],
    )


def question_record(row: Row) -> QuestionRecord:
    """A question row joined with its room's ``code``."""
    return QuestionRecord(
        id=row["id"],
        room_code=row["code"],
        position=row["position"],
        question=parse_question(row["body"]),
        state=row["state"],
        revealed=bool(row["revealed"]),
        version=row["version"],
        source=row["source"],
        tag=row["tag"],
    )


def response_record(row: Row) -> ResponseRecord:
    return ResponseRecord(
        id=row["id"],
        question_id=row["question_id"],
        participant=row["participant_id"],
        answer=json.loads(row["answer"]),
        moderation=row["moderation"],
        created_at=stamp(row["created_at"]),
        updated_at=stamp(row["updated_at"]),
    )


# -- checks before a write ------------------------------------------------------------------


def check_room_settings(title: object, min_group: object) -> None:
    if not isinstance(title, str) or len(title) > 200:
        raise Conflict("a room title must be text of at most 200 characters")
    if not isinstance(min_group, int) or isinstance(min_group, bool) or not 1 <= min_group <= 1000:
        raise Conflict("the minimum group size must be a whole number from 1 to 1000")


def with_free_code(insert: Callable[[str], object], taken: type[Exception]) -> str:
    """Call ``insert`` with new join codes until one is not ``taken`` (an error raised by the
    database's unique constraint); return that code."""
    for _attempt in range(20):
        code = new_join_code()
        try:
            insert(code)
        except taken:
            continue
        return code
    raise Conflict("could not find a free join code; try again")


def check_new_state(state: object) -> None:
    if state not in STATES or state == "draft":
        raise Conflict(
            f"a question can be set to 'open' or 'closed', not {state!r}; use reset to start over"
        )


def room_not_found(code: str) -> RoomNotFound:
    return RoomNotFound(f"there is no room with the code {code!r}; check the code and try again")


def question_not_found(question_id: int) -> NotFound:
    return NotFound(f"there is no question {question_id}")


def response_not_found(response_id: int) -> NotFound:
    return NotFound(f"there is no response {response_id}")


def not_a_reflection(response_id: int) -> Conflict:
    return Conflict(f"response {response_id} is not a reflection awaiting moderation")


def unknown_token() -> Unauthorized:
    return Unauthorized("this participant token is not known in this room; join again")


def check_token(token: object) -> str:
    if not isinstance(token, str):
        raise Unauthorized("a participant token is required")
    return token


def accepted_answer(
    question_id: int, state: str, body: str, answer: object
) -> tuple[str, str | None]:
    """For an answer to a question in ``state``: the answer as stored (JSON) and its moderation
    state, or the :class:`StoreError` that refuses it."""
    if state != "open":
        word = "has not opened yet" if state == "draft" else "is closed"
        raise QuestionClosed(f"question {question_id} {word}; responses are not being taken")
    question = parse_question(body)
    value = check_answer(question, answer)
    moderation = "pending" if isinstance(question, TextQuestion) and value != PASS else None
    return json.dumps(value), moderation


def each_in_savepoint(
    db: Any, items: Sequence[T], record: Callable[[T], ResponseRecord]
) -> list[ResponseRecord | StoreError]:
    """Run ``record`` for each item inside the open transaction on ``db``, each in its own
    savepoint: an item refused with a :class:`StoreError` leaves no trace, the others stay."""
    results: list[ResponseRecord | StoreError] = []
    for item in items:
        db.execute("SAVEPOINT item")
        try:
            results.append(record(item))
        except StoreError as exc:
            db.execute("ROLLBACK TO SAVEPOINT item")
            results.append(exc)
        db.execute("RELEASE SAVEPOINT item")
    return results
