"""The storage interface every store implements, its records and its errors."""

from __future__ import annotations

import abc
import base64
import hashlib
import hmac
import secrets
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from itertools import chain, repeat
from typing import Literal

from ..model import (
    MIN_GROUP_SIZE,
    PASS,
    ChoiceTally,
    PrePostComparison,
    Question,
    ResponseError,
    ScaleQuestion,
    ScaleTally,
    Tally,
    compare_pre_post,
    tally,
)

__all__ = [
    "JOIN_CODE_ALPHABET",
    "Conflict",
    "InvalidAnswer",
    "NotFound",
    "Participant",
    "QuestionClosed",
    "QuestionRecord",
    "ResponseRecord",
    "Room",
    "RoomCreated",
    "RoomFull",
    "SchemaTooNew",
    "StorageUnavailable",
    "Store",
    "StoreError",
    "Unauthorized",
    "export_totals",
]

State = Literal["draft", "open", "closed"]
Moderation = Literal["pending", "approved", "rejected"]
STATES: tuple[str, ...] = ("draft", "open", "closed")

#: Join codes avoid characters that are easy to confuse when read aloud or off a screen
#: (no 0/O, 1/I/L, 5/S, 2/Z, 8/B).
JOIN_CODE_ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"
JOIN_CODE_LENGTH = 6


class StoreError(Exception):
    """A request the store refuses. ``code`` is a stable machine-readable name."""

    code = "store_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(StoreError):
    code = "not_found"


class RoomNotFound(NotFound):
    """No room has this join code (the service counts these against guessing)."""


class Unauthorized(StoreError):
    code = "unauthorized"


class QuestionClosed(StoreError):
    code = "question_closed"


class InvalidAnswer(StoreError):
    code = "invalid_answer"


class Conflict(StoreError):
    code = "conflict"


class RoomFull(Conflict):
    """The room already has the most participants this service allows (409 ``room_full``)."""

    code = "room_full"

    @classmethod
    def at(cls, limit: int) -> RoomFull:
        return cls(
            f"this room is full: {limit} participants have joined, the most this service "
            "takes in one room; ask the facilitator"
        )


class SchemaTooNew(StoreError):
    """The database was written by a newer peerkit, whose tables this one does not know."""

    code = "schema_too_new"


class StorageUnavailable(StoreError):
    """The database cannot take a write just now (locked by another program, disk full, I/O
    error). Nothing was written; the same request may succeed later."""

    code = "storage_unavailable"

    def __init__(self, message: str, *, public: str = "") -> None:
        super().__init__(message)
        #: The cause without the file's location, for people who do not run the server.
        self.public = public or "the database cannot take writes just now; try again shortly"


@dataclass(frozen=True)
class Room:
    code: str
    title: str
    min_group: int
    created_at: str
    current_question: int | None = None
    #: The language the room's participants, screen and facilitator see peerkit in.
    language: str = "en"


@dataclass(frozen=True)
class RoomCreated:
    """A new room, its facilitator key and its presenter token. Both are shown once and only
    their hashes are kept."""

    room: Room
    facilitator_key: str
    #: Read-only access to what the room's shared screen may show (the presenter display).
    presenter_token: str = ""


@dataclass(frozen=True)
class Participant:
    """An anonymous participant: a random token and the store's internal number for it.

    The token is the participant's credential and is returned once; only its hash is kept.
    """

    id: int
    room_code: str
    token: str


@dataclass(frozen=True)
class QuestionRecord:
    id: int
    room_code: str
    position: int
    question: Question
    state: State
    revealed: bool
    version: int
    source: str | None = None
    tag: str = ""

    @property
    def is_open(self) -> bool:
        return self.state == "open"


@dataclass(frozen=True)
class ResponseRecord:
    """One participant's current answer to one question. ``participant`` is an internal number,
    never the token, so pre/post answers can be paired without knowing who anyone is."""

    id: int
    question_id: int
    participant: int
    answer: str | float
    moderation: Moderation | None
    created_at: str
    updated_at: str


def new_join_code() -> str:
    return "".join(secrets.choice(JOIN_CODE_ALPHABET) for _ in range(JOIN_CODE_LENGTH))


def new_secret() -> str:
    return secrets.token_urlsafe(24)


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def presenter_secret(facilitator_key: str, nonce: str) -> str:
    """The presenter token made from a room's facilitator key and its presenter nonce: only the
    key's holder can compute it, and a new nonce makes a new one."""
    digest = hmac.new(facilitator_key.encode("utf-8"), f"presenter:{nonce}".encode(), "sha256")
    return base64.urlsafe_b64encode(digest.digest()[:24]).decode("ascii")


def secret_matches(secret: str, stored_hash: str) -> bool:
    """Constant-time comparison of a presented secret with a stored hash."""
    return hmac.compare_digest(secret_hash(secret), stored_hash)


def normalise_code(code: str) -> str:
    return "".join(code.split()).upper() if isinstance(code, str) else ""


def check_answer(question: Question, answer: object) -> str | float:
    try:
        return question.validate(answer)
    except ResponseError as exc:
        raise InvalidAnswer(exc.message) from None
    except (ValueError, ArithmeticError) as exc:  # e.g. 10**400 for a scale: float overflow
        raise InvalidAnswer(f"the answer to {question.id!r} is not a usable value: {exc}") from None


class Store(abc.ABC):
    """Persistence for rooms, questions, anonymous participants and their responses.

    Every method that changes data has committed the change durably by the time it returns.
    A refused write (an exception) changes nothing.
    """

    # -- rooms ---------------------------------------------------------------------------
    @abc.abstractmethod
    def create_room(
        self, title: str = "", *, min_group: int = MIN_GROUP_SIZE, language: str = "en"
    ) -> RoomCreated:
        """Create a room with a fresh join code and facilitator key, in ``language`` (one of
        :func:`peerkit.i18n.languages`, or a spelling :func:`~peerkit.i18n.check_language`
        accepts)."""

    @abc.abstractmethod
    def room(self, code: str) -> Room:
        """The room with this join code (case and spaces ignored), or :class:`NotFound`."""

    @abc.abstractmethod
    def check_facilitator(self, code: str, key: str) -> bool:
        """Whether ``key`` is the facilitator key of room ``code`` (constant-time compare)."""

    # A presenter token reads only what the room's shared screen may show. It is derived from
    # the facilitator key and a random nonce kept with the room (:func:`presenter_secret`), so
    # the facilitator can always be given it again, while the store keeps only its hash.
    @abc.abstractmethod
    def check_presenter(self, code: str, token: str) -> bool:
        """Whether ``token`` is the presenter token of room ``code`` (constant-time compare)."""

    @abc.abstractmethod
    def presenter_token(self, code: str, key: str) -> str | None:
        """Room ``code``'s presenter token, for its facilitator (``key``), or None if it was
        revoked; :class:`Unauthorized` for any other key."""

    @abc.abstractmethod
    def rotate_presenter(self, code: str, key: str) -> str:
        """Give room ``code`` a new presenter token and return it; the old one stops working.
        Only the facilitator (``key``) may: the token is derived from the key."""

    @abc.abstractmethod
    def revoke_presenter(self, code: str) -> None:
        """Withdraw room ``code``'s presenter token; none works until :meth:`rotate_presenter`."""

    @abc.abstractmethod
    def purge_room(self, code: str) -> None:
        """Delete a room and everything in it, for good."""

    def compact(self) -> None:  # noqa: B027 - optional: a store without a file has nothing to do
        """Rewrite storage so that deleted data no longer lingers in it (after a purge)."""

    # -- questions -----------------------------------------------------------------------
    @abc.abstractmethod
    def add_question(
        self, code: str, question: Question, *, source: str | None = None, tag: str = ""
    ) -> QuestionRecord:
        """Add a question to the end of a room's list, in the draft state."""

    @abc.abstractmethod
    def question(self, question_id: int) -> QuestionRecord: ...

    @abc.abstractmethod
    def questions(self, code: str) -> list[QuestionRecord]: ...

    @abc.abstractmethod
    def set_state(self, question_id: int, state: State) -> QuestionRecord:
        """Open or close a question. Opening makes it the room's current question.
        A question returns to draft only through :meth:`reset`."""

    @abc.abstractmethod
    def set_revealed(self, question_id: int, revealed: bool) -> QuestionRecord: ...

    @abc.abstractmethod
    def reset(self, question_id: int) -> QuestionRecord:
        """Delete a question's responses and return it to a hidden draft."""

    # -- participants and responses ---------------------------------------------------
    @abc.abstractmethod
    def join(self, code: str, *, limit: int | None = None) -> Participant:
        """Register a new anonymous participant in a room.

        With ``limit``, a room that already has that many participants refuses with
        :class:`RoomFull`; the count and the join are one atomic step, so concurrent joins,
        from any number of processes, never overfill the room.
        """

    @abc.abstractmethod
    def participant(self, code: str, token: str) -> int:
        """The internal number of the participant with ``token`` in room ``code``,
        or :class:`Unauthorized`."""

    @abc.abstractmethod
    def participant_count(self, code: str) -> int: ...

    @abc.abstractmethod
    def respond_many(
        self, items: Sequence[tuple[int, str, object]]
    ) -> list[ResponseRecord | StoreError]:
        """Record several (question id, participant token, answer) at once, in one commit.

        Each item succeeds or fails on its own; the result list holds, in order, the stored
        record or the error that refused that item. A participant's new answer replaces their
        earlier one while the question is open.
        """

    def respond(self, question_id: int, token: str, answer: object) -> ResponseRecord:
        """Record one answer; raise the :class:`StoreError` that refused it."""
        (result,) = self.respond_many([(question_id, token, answer)])
        if isinstance(result, StoreError):
            raise result
        return result

    @abc.abstractmethod
    def responses(self, question_id: int) -> list[ResponseRecord]: ...

    @abc.abstractmethod
    def response(self, response_id: int) -> ResponseRecord:
        """One response by its id, or :class:`NotFound`."""

    @abc.abstractmethod
    def moderate(self, response_id: int, approved: bool) -> ResponseRecord:
        """Approve or reject a text reflection."""

    @abc.abstractmethod
    def version(self, question_id: int) -> int:
        """A number that grows whenever anything about the question or its responses changes,
        by exactly one for each response stored."""

    @abc.abstractmethod
    def close(self) -> None: ...

    # -- other writers --------------------------------------------------------------------
    def subscribe(self, callback: Callable[[str | None], None]) -> None:  # noqa: B027
        """Call ``callback(room_code)`` whenever a write through another connection to the same
        database (another process, typically) has changed that room, and ``callback(None)`` when
        such changes may have gone unseen, so that anything may have changed.

        Writes through this store are not reported: its caller knows about them. Callbacks run
        on a thread of the store's own and must be quick and thread-safe. A store that only
        one process can use has nothing to report, and this does nothing.
        """

    # -- derived views, the same for every store ------------------------------------------
    def answer_counts(self, question_id: int) -> list[tuple[str | float, int]]:
        """Each distinct current answer to a question and how many gave it. SQL stores count
        in the database, so a tally reads one row per option rather than one per person."""
        return list(Counter(r.answer for r in self.responses(question_id)).items())

    def tally(self, question_id: int) -> Tally:
        record = self.question(question_id)
        counts = self.answer_counts(question_id)
        return tally(record.question, chain.from_iterable(repeat(a, n) for a, n in counts))

    def approved_texts(self, question_id: int) -> list[str]:
        """The approved reflections of a text question, oldest first."""
        return [
            str(r.answer)
            for r in self.responses(question_id)
            if r.moderation == "approved" and r.answer != PASS
        ]

    def answers_by_participant(self, question_id: int) -> dict[int, str | float]:
        return {r.participant: r.answer for r in self.responses(question_id)}

    def pre_post(
        self, code: str, source: str
    ) -> tuple[QuestionRecord, QuestionRecord, PrePostComparison]:
        """Compare the room's "pre" and "post" questions made from scale ``source``.

        Answers pair up by the store's internal participant number only."""
        tagged = {r.tag: r for r in self.questions(code) if r.source == source}
        if "pre" not in tagged or "post" not in tagged:
            raise NotFound(f"the room has no 'pre' and 'post' questions for {source!r}")
        pre, post = tagged["pre"], tagged["post"]
        if not isinstance(pre.question, ScaleQuestion):
            raise Conflict(
                f"{source!r} is not a scale; only scales can be compared before and after"
            )
        comparison = compare_pre_post(
            pre.question, self.answers_by_participant(pre.id), self.answers_by_participant(post.id)
        )
        return pre, post, comparison

    def export_rows(self, code: str, *, per_response: bool = False) -> list[dict]:
        """Rows for a CSV export of a room: group totals, or one row per response.

        Per-response rows number participants 1, 2, 3 ... within the export so that answers can
        be read across questions; tokens and internal ids never appear.
        """
        records = self.questions(code)
        if not per_response:
            return export_totals((rec, self.tally(rec.id)) for rec in records)
        numbers: dict[int, int] = {}
        rows = []
        for rec in records:
            for response in self.responses(rec.id):
                number = numbers.setdefault(response.participant, len(numbers) + 1)
                rows.append(
                    {
                        "question": rec.position,
                        "question_id": rec.question.id,
                        "tag": rec.tag,
                        "kind": rec.question.kind,
                        "participant": number,
                        "answer": response.answer,
                        "moderation": response.moderation or "",
                        "answered_at": response.updated_at,
                    }
                )
        return rows

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def export_totals(items: Iterable[tuple[QuestionRecord, Tally]]) -> list[dict]:
    """Group totals: one row per option, scale point or reflection count, per question."""
    rows = []
    for rec, result in items:
        base = {
            "question": rec.position,
            "question_id": rec.question.id,
            "tag": rec.tag,
            "kind": rec.question.kind,
        }
        if isinstance(result, ChoiceTally):
            pct = result.percentages()
            for option_id, count in result.counts:
                rows.append(
                    {
                        **base,
                        "answer": option_id,
                        "count": count,
                        "percent": round(pct[option_id], 1),
                    }
                )
        elif isinstance(result, ScaleTally):
            for value, count in result.histogram:
                share = 100.0 * count / result.n if result.n else 0.0
                rows.append({**base, "answer": value, "count": count, "percent": round(share, 1)})
        else:
            rows.append({**base, "answer": "reflections", "count": result.answered, "percent": ""})
        rows.append({**base, "answer": PASS, "count": result.passes, "percent": ""})
    return rows


#: A cell starting with one of these is read as a formula by spreadsheet programs.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> object:
    """Keep a participant's text from running as a spreadsheet formula when the CSV is opened."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def rows_to_csv(rows: list[dict]) -> str:
    """Export rows as CSV text, safe to open in a spreadsheet."""
    import csv
    import io

    out = io.StringIO()
    if rows:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows({key: _cell(value) for key, value in row.items()} for row in rows)
    return out.getvalue()
