"""What the SQL stores share: the read methods (:class:`SQLStore`), turning rows into records,
the checks made before a write, and the loop over a batch of responses.

A row is anything that gives its columns by name: ``sqlite3.Row`` or a psycopg ``dict_row``.
"""

from __future__ import annotations

import abc
import functools
import json
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, ClassVar, TypeVar

from ..i18n import UnknownLanguageError, check_language, languages
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
    Store,
    StoreError,
    Unauthorized,
    check_answer,
    new_join_code,
    new_secret,
    normalise_code,
    presenter_secret,
    secret_hash,
    secret_matches,
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
        row["language"],
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


def check_room_settings(title: object, min_group: object, language: object = "en") -> str:
    """Refuse a bad room title, minimum group size or language; return the language as
    peerkit names it."""
    if not isinstance(title, str) or len(title) > 200:
        raise Conflict("a room title must be text of at most 200 characters")
    if not isinstance(min_group, int) or isinstance(min_group, bool) or not 1 <= min_group <= 1000:
        raise Conflict("the minimum group size must be a whole number from 1 to 1000")
    if not isinstance(language, str) or not language:
        raise Conflict(f"a room's language must be one of {', '.join(languages())}")
    try:
        return check_language(language)
    except UnknownLanguageError as exc:
        raise Conflict(str(exc)) from None


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


def not_the_facilitator() -> Unauthorized:
    return Unauthorized("only this room's facilitator may do that")


def new_presenter(key: str) -> tuple[str, str, str]:
    """A new presenter token for facilitator key ``key``: (token, nonce, token hash)."""
    nonce = new_secret()
    token = presenter_secret(key, nonce)
    return token, nonce, secret_hash(token)


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


def each_item(
    items: Sequence[T], record: Callable[[T], ResponseRecord]
) -> list[ResponseRecord | StoreError]:
    """Run ``record`` for each item of a batch inside one open transaction, collecting the
    stored record or the :class:`StoreError` that refused the item.

    ``record`` refuses an item only before it writes anything for it, so a refused item leaves
    no trace without a savepoint of its own (in PostgreSQL each would cost two more round trips
    to the server); any other error fails, and rolls back, the whole batch.
    """
    results: list[ResponseRecord | StoreError] = []
    for item in items:
        try:
            results.append(record(item))
        except StoreError as exc:
            results.append(exc)
    return results


# -- the reads every SQL store makes the same way ----------------------------------------------


def lookup_code(code: str) -> str:
    """A join code as stored. No code holds NUL, which PostgreSQL text cannot carry at all."""
    return normalise_code(code).replace("\x00", "\ufffd")


class SQLStore(Store):
    """The read methods, written once for every SQL store. Queries are written with ``?`` for
    each parameter; a store whose driver wants another placeholder sets :attr:`PARAM`."""

    #: The driver's parameter placeholder: ``?`` for sqlite3, ``%s`` for psycopg.
    PARAM: ClassVar[str] = "?"

    _QUESTION_SQL = "SELECT q.*, r.code FROM questions q JOIN rooms r ON r.id = q.room_id"

    @abc.abstractmethod
    def _read(self, query: str, params: Sequence = ()) -> list[Row]:
        """Run one query (in the driver's placeholder style) and return all its rows."""

    def _select(self, query: str, params: Sequence = ()) -> list[Row]:
        return self._read(query.replace("?", self.PARAM), params)

    def _room_row(self, code: str) -> Row:
        rows = self._select("SELECT * FROM rooms WHERE code = ?", (lookup_code(code),))
        if not rows:
            raise room_not_found(code)
        return rows[0]

    def room(self, code: str) -> Room:
        return room_record(self._room_row(code))

    def check_facilitator(self, code: str, key: str) -> bool:
        try:
            row = self._room_row(code)
        except NotFound:
            return False
        return isinstance(key, str) and secret_matches(key, row["key_hash"])

    def check_presenter(self, code: str, token: str) -> bool:
        try:
            row = self._room_row(code)
        except NotFound:
            return False
        stored = row["presenter_hash"]
        return isinstance(token, str) and stored is not None and secret_matches(token, stored)

    def presenter_token(self, code: str, key: str) -> str | None:
        row = self._room_row(code)
        if not (isinstance(key, str) and secret_matches(key, row["key_hash"])):
            raise not_the_facilitator()
        if row["presenter_nonce"] is None:
            return None
        token = presenter_secret(key, row["presenter_nonce"])
        return token if secret_matches(token, row["presenter_hash"]) else None

    def rotate_presenter(self, code: str, key: str) -> str:
        if not self.check_facilitator(code, key):
            self._room_row(code)  # RoomNotFound before Unauthorized
            raise not_the_facilitator()
        token, nonce, token_hash = new_presenter(key)
        self._set_presenter(code, nonce, token_hash)
        return token

    def revoke_presenter(self, code: str) -> None:
        self._set_presenter(code, None, None)

    @abc.abstractmethod
    def _set_presenter(self, code: str, nonce: str | None, token_hash: str | None) -> None:
        """Store a room's presenter nonce and token hash (both None: revoked)."""

    def question(self, question_id: int) -> QuestionRecord:
        rows = self._select(f"{self._QUESTION_SQL} WHERE q.id = ?", (question_id,))
        if not rows:
            raise question_not_found(question_id)
        return question_record(rows[0])

    def questions(self, code: str) -> list[QuestionRecord]:
        room_id = self._room_row(code)["id"]
        rows = self._select(
            f"{self._QUESTION_SQL} WHERE q.room_id = ? ORDER BY q.position", (room_id,)
        )
        return [question_record(row) for row in rows]

    def participant(self, code: str, token: str) -> int:
        check_token(token)
        rows = self._select(
            "SELECT p.id FROM participants p JOIN rooms r ON r.id = p.room_id"
            " WHERE r.code = ? AND p.token_hash = ?",
            (lookup_code(code), secret_hash(token)),
        )
        if not rows:
            raise unknown_token()
        return rows[0]["id"]

    def participant_count(self, code: str) -> int:
        room_id = self._room_row(code)["id"]
        rows = self._select("SELECT COUNT(*) AS n FROM participants WHERE room_id = ?", (room_id,))
        return rows[0]["n"]

    def responses(self, question_id: int) -> list[ResponseRecord]:
        self.question(question_id)
        rows = self._select(
            "SELECT * FROM responses WHERE question_id = ? ORDER BY id", (question_id,)
        )
        return [response_record(row) for row in rows]

    def answer_counts(self, question_id: int) -> list[tuple[str | float, int]]:
        rows = self._select(
            "SELECT answer, count(*) AS n FROM responses WHERE question_id = ? GROUP BY answer",
            (question_id,),
        )
        return [(json.loads(row["answer"]), row["n"]) for row in rows]

    def response(self, response_id: int) -> ResponseRecord:
        rows = self._select("SELECT * FROM responses WHERE id = ?", (response_id,))
        if not rows:
            raise response_not_found(response_id)
        return response_record(rows[0])

    def version(self, question_id: int) -> int:
        rows = self._select("SELECT version FROM questions WHERE id = ?", (question_id,))
        if not rows:
            raise question_not_found(question_id)
        return rows[0]["version"]
