"""The store contract, written once and run against every store implementation.

Add a store by adding a factory to ``STORE_FACTORIES`` (a fresh, empty store per test), a
location to ``LOCATION_FACTORIES`` (for the tests that open a store again or from other OS
processes; those open it with :func:`peerkit.store.open_store`) and a raw dump to
``RAW_CONTENT`` (everything the store keeps, for the tests that secrets are stored hashed).
Factories get the test's ``request`` (for fixtures such as a fresh PostgreSQL database) and its
temporary directory. The tests of the SQLite file itself (schema, migrations, WAL) and of the
PostgreSQL database (schema, outages, notifications) are at the end.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from itertools import pairwise
from pathlib import Path

import psycopg
import pytest
from pg import postgres_server

from peerkit.model import (
    MIN_GROUP_SIZE,
    PASS,
    ChoiceQuestion,
    ChoiceTally,
    Option,
    Question,
    ScaleQuestion,
    ScaleTally,
    TextQuestion,
    TextTally,
)
from peerkit.store import (
    Conflict,
    InvalidAnswer,
    NotFound,
    QuestionClosed,
    QuestionRecord,
    ResponseRecord,
    RoomCreated,
    RoomFull,
    SQLiteStore,
    StorageUnavailable,
    Store,
    StoreError,
    Unauthorized,
    open_store,
)
from peerkit.store import postgres as postgres_module
from peerkit.store import sqlite as sqlite_module
from peerkit.store.base import JOIN_CODE_ALPHABET, secret_hash
from peerkit.store.postgres import PostgresStore
from peerkit.store.sqlite import SCHEMA_VERSION, SchemaTooNew

# --------------------------------------------------------------------------- the stores

#: A fresh, empty store of each kind (in a test's temporary directory, or a new database).
STORE_FACTORIES: dict[str, Callable[[pytest.FixtureRequest, Path], Store]] = {
    "sqlite": lambda request, tmp_path: SQLiteStore(tmp_path / "peerkit.db"),
    "postgres": lambda request, tmp_path: PostgresStore(request.getfixturevalue("postgres_url")),
}

#: Where a fresh store of each kind lives, for tests that open it again (:func:`reopen`) or
#: from several OS processes. Child processes open it with ``open_store(location)`` too.
LOCATION_FACTORIES: dict[str, Callable[[pytest.FixtureRequest, Path], str]] = {
    "sqlite": lambda request, tmp_path: str(tmp_path / "peerkit.db"),
    "postgres": lambda request, tmp_path: request.getfixturevalue("postgres_url"),
}


def reopen(location: str) -> Store:
    """Open the store at ``location``, as a restarted service or another process would."""
    return open_store(location)


def _sqlite_raw(store: SQLiteStore) -> bytes:
    """The database and WAL files byte for byte, plus a SQL dump of every table."""
    files = [Path(store.path + suffix) for suffix in ("", "-wal")]
    raw = b"".join(path.read_bytes() for path in files if path.exists())
    con = sqlite3.connect(store.path)
    try:
        dump = "\n".join(con.iterdump())
    finally:
        con.close()
    return raw + dump.encode("utf-8")


def _postgres_raw(store: PostgresStore) -> bytes:
    """Every row of every table in the store's database, as text."""
    with psycopg.connect(store.url) as con:
        names = [
            name
            for (name,) in con.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
            )
        ]
        assert {"rooms", "participants", "responses"} <= set(names)
        rows = [
            text
            for name in names
            for (text,) in con.execute(
                psycopg.sql.SQL("SELECT t::text FROM {} t").format(psycopg.sql.Identifier(name))
            )
        ]
    return "\n".join(rows).encode("utf-8")


#: Everything a store keeps, as bytes, to search for secrets that should have been hashed.
RAW_CONTENT: dict[type, Callable[[Store], bytes]] = {
    SQLiteStore: _sqlite_raw,
    PostgresStore: _postgres_raw,  # type: ignore[dict-item]
}


def raw_content(store: Store) -> bytes:
    dump = RAW_CONTENT.get(type(store))
    assert dump is not None, f"add a raw dump for {type(store).__name__} to RAW_CONTENT"
    return dump(store)


@pytest.fixture(params=list(STORE_FACTORIES), ids=list(STORE_FACTORIES))
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    made = STORE_FACTORIES[request.param](request, tmp_path)
    yield made
    made.close()


@pytest.fixture(params=list(LOCATION_FACTORIES), ids=list(LOCATION_FACTORIES))
def location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return LOCATION_FACTORIES[request.param](request, tmp_path)


# --------------------------------------------------------------------------- helpers


def choice_question(qid: str = "scenario") -> ChoiceQuestion:
    return ChoiceQuestion(
        id=qid,
        prompt="Your peer says they cannot face the appointment. What do you do?",
        options=(
            Option("ask", "Ask what would help", stance="autonomy-supporting", position=9),
            Option("fix", "Phone and rebook it for them", stance="rescuing", position=3),
            Option("wait", "Wait for them to bring it up", stance="withdrawing", position=5),
        ),
    )


def scale_question(qid: str = "slider") -> ScaleQuestion:
    return ScaleQuestion(
        id=qid,
        prompt="Where does this sit?",
        low_label="Control",
        high_label="Autonomy",
        min=0,
        max=5,
        step=0.5,
        anchors=((0, "Taking over"), (5, "Their call")),
    )


def text_question(qid: str = "reflection", max_length: int = 20) -> TextQuestion:
    return TextQuestion(id=qid, prompt="One thing you noticed", max_length=max_length)


QUESTION_MAKERS: dict[str, Callable[[], Question]] = {
    "choice": choice_question,
    "scale": scale_question,
    "text": text_question,
}

#: A valid, non-pass answer to each kind of question.
GOOD_ANSWERS: dict[str, object] = {"choice": "ask", "scale": 3.5, "text": "listening"}


@pytest.fixture
def room(store: Store) -> RoomCreated:
    return store.create_room("Rescuer workshop")


def open_question(store: Store, code: str, question: Question) -> QuestionRecord:
    record = store.add_question(code, question)
    return store.set_state(record.id, "open")


def snapshot(store: Store, question_id: int) -> tuple[list[ResponseRecord], int]:
    return store.responses(question_id), store.version(question_id)


# =========================================================================== rooms


def test_create_room_gives_a_join_code_and_a_facilitator_key(store: Store) -> None:
    created = store.create_room("  Rescuer workshop  ")
    code = created.room.code
    assert len(code) == 6
    assert set(code) <= set(JOIN_CODE_ALPHABET)
    assert isinstance(created.facilitator_key, str) and len(created.facilitator_key) >= 20
    assert created.room.title == "Rescuer workshop"
    assert created.room.min_group == MIN_GROUP_SIZE
    assert created.room.current_question is None
    assert store.room(code) == created.room

    other = store.create_room("Another", min_group=5)
    assert other.room.code != code
    assert other.facilitator_key != created.facilitator_key
    assert store.room(other.room.code).min_group == 5


def test_a_room_has_a_language(store: Store) -> None:
    english = store.create_room("Default")
    assert english.room.language == "en"
    spanish = store.create_room("Taller", language="es-ES")  # as a browser may spell it
    assert spanish.room.language == "es"
    assert store.room(spanish.room.code).language == "es"
    assert store.room(english.room.code).language == "en"


@pytest.mark.parametrize("language", ["xx", "", 7, None])
def test_create_room_refuses_an_unknown_language(store: Store, language: object) -> None:
    with pytest.raises(Conflict, match="en, es"):
        store.create_room("t", language=language)  # type: ignore[arg-type]


@pytest.mark.parametrize("title", ["x" * 201, 7])
def test_create_room_refuses_a_bad_title(store: Store, title: object) -> None:
    with pytest.raises(Conflict, match="title"):
        store.create_room(title)  # type: ignore[arg-type]


@pytest.mark.parametrize("min_group", [0, 1001, 2.5, True])
def test_create_room_refuses_a_bad_minimum_group(store: Store, min_group: object) -> None:
    with pytest.raises(Conflict, match="minimum group size"):
        store.create_room("t", min_group=min_group)  # type: ignore[arg-type]


def test_room_lookup_ignores_case_and_spaces(store: Store, room: RoomCreated) -> None:
    code = room.room.code
    for spelling in (code.lower(), f" {code[:3].lower()} {code[3:]} ", f"{code[:2]}\t{code[2:]}\n"):
        assert store.room(spelling) == room.room


def test_an_unknown_room_is_not_found(store: Store, room: RoomCreated) -> None:
    # "Z", "0", "O" are not in the alphabet, so these can never be a real code
    for code in ("ZZZZZZ", "O0O0O0", "", room.room.code + "A"):
        with pytest.raises(NotFound, match="no room") as caught:
            store.room(code)
        assert caught.value.code == "not_found"
    for call in (store.questions, store.join, store.participant_count, store.purge_room):
        with pytest.raises(NotFound):
            call("ZZZZZZ")
    with pytest.raises(NotFound):
        store.add_question("ZZZZZZ", choice_question())


def test_check_facilitator(store: Store) -> None:
    first = store.create_room("one")
    second = store.create_room("two")
    code = first.room.code
    assert store.check_facilitator(code, first.facilitator_key) is True
    assert store.check_facilitator(code.lower(), first.facilitator_key) is True
    assert store.check_facilitator(code, first.facilitator_key + "x") is False
    assert store.check_facilitator(code, first.facilitator_key.upper()) is False
    assert store.check_facilitator(code, "") is False
    assert store.check_facilitator(code, None) is False  # type: ignore[arg-type]
    assert store.check_facilitator(code, second.facilitator_key) is False
    assert store.check_facilitator(second.room.code, first.facilitator_key) is False
    assert store.check_facilitator("ZZZZZZ", first.facilitator_key) is False


def test_presenter_tokens_are_issued_with_the_room_rotated_and_revoked(store: Store) -> None:
    first = store.create_room("one")
    second = store.create_room("two")
    code, token = first.room.code, first.presenter_token
    assert isinstance(token, str) and len(token) >= 20
    assert len({token, first.facilitator_key, second.presenter_token}) == 3
    assert store.check_presenter(code, token) is True
    assert store.check_presenter(code.lower(), token) is True
    for wrong in (token + "x", "", None, first.facilitator_key, second.presenter_token):
        assert store.check_presenter(code, wrong) is False  # type: ignore[arg-type]
    assert store.check_presenter("ZZZZZZ", token) is False
    # a presenter token is neither a facilitator key nor a participant token
    assert store.check_facilitator(code, token) is False
    with pytest.raises(Unauthorized):
        store.participant(code, token)

    # the facilitator can always be given the token again; nobody else can
    assert store.presenter_token(code, first.facilitator_key) == token
    for wrong in (token, second.facilitator_key, "", None):
        with pytest.raises(Unauthorized):
            store.presenter_token(code, wrong)  # type: ignore[arg-type]
        with pytest.raises(Unauthorized):
            store.rotate_presenter(code, wrong)  # type: ignore[arg-type]
    assert store.check_presenter(code, token) is True  # refusals changed nothing

    new = store.rotate_presenter(code, first.facilitator_key)
    assert new != token
    assert store.presenter_token(code, first.facilitator_key) == new
    assert store.check_presenter(code, token) is False
    assert store.check_presenter(code, new) is True
    assert store.check_presenter(second.room.code, second.presenter_token) is True  # untouched

    store.revoke_presenter(code)
    assert store.check_presenter(code, new) is False
    assert store.check_presenter(code, "") is False
    assert store.presenter_token(code, first.facilitator_key) is None
    assert store.check_presenter(second.room.code, second.presenter_token) is True
    again = store.rotate_presenter(code, first.facilitator_key)
    assert store.check_presenter(code, again) is True
    assert len({token, new, again}) == 3
    with pytest.raises(NotFound):
        store.revoke_presenter("ZZZZZZ")
    for call in (store.rotate_presenter, store.presenter_token):
        with pytest.raises(NotFound):
            call("ZZZZZZ", first.facilitator_key)


def test_facilitator_keys_and_participant_tokens_are_not_stored_in_plain_text(
    store: Store,
) -> None:
    created = [store.create_room(f"room {i}") for i in range(3)]
    people = [store.join(c.room.code) for c in created for _ in range(3)]
    rotated = store.rotate_presenter(created[1].room.code, created[1].facilitator_key)
    record = open_question(store, created[0].room.code, choice_question())
    store.respond(record.id, people[0].token, "ask")
    raw = raw_content(store)
    assert rotated.encode() not in raw
    for c in created:
        assert c.room.code.encode() in raw  # the dump does hold what the store keeps...
        assert c.facilitator_key.encode() not in raw  # ...but never a key
        assert c.presenter_token.encode() not in raw
    for person in people:
        assert person.token.encode() not in raw
        assert store.participant(person.room_code, person.token) == person.id


# =========================================================================== questions


def test_add_question_appends_a_draft(store: Store, room: RoomCreated) -> None:
    code = room.room.code
    added = [
        store.add_question(code, choice_question(), source="rescuer.yaml", tag="pre"),
        store.add_question(code.lower(), scale_question()),
        store.add_question(code, text_question()),
    ]
    assert [r.position for r in added] == [1, 2, 3]
    assert [r.question.kind for r in added] == ["choice", "scale", "text"]
    for record in added:
        assert record.state == "draft" and not record.is_open
        assert record.revealed is False
        assert record.room_code == code
    assert added[0].source == "rescuer.yaml" and added[0].tag == "pre"
    assert added[1].source is None and added[1].tag == ""
    assert store.questions(code) == added
    assert store.question(added[1].id) == added[1]
    # the question comes back exactly as it went in
    assert added[0].question == choice_question()
    assert added[1].question == scale_question()
    assert added[2].question == text_question()
    # positions are per room
    other = store.create_room("other")
    assert store.add_question(other.room.code, choice_question()).position == 1
    assert store.room(code).current_question is None


def test_set_state_opens_and_closes(store: Store, room: RoomCreated) -> None:
    code = room.room.code
    first = store.add_question(code, choice_question())
    second = store.add_question(code, scale_question())

    opened = store.set_state(first.id, "open")
    assert opened.state == "open" and opened.is_open
    assert store.question(first.id).state == "open"
    assert store.room(code).current_question == first.id

    closed = store.set_state(first.id, "closed")
    assert closed.state == "closed" and not closed.is_open

    store.set_state(second.id, "open")
    assert store.room(code).current_question == second.id
    store.set_state(first.id, "open")  # a closed question can be opened again
    assert store.question(first.id).state == "open"
    assert store.room(code).current_question == first.id


@pytest.mark.parametrize("state", ["draft", "bogus", "OPEN", ""])
def test_set_state_refuses_anything_but_open_or_closed(
    store: Store, room: RoomCreated, state: str
) -> None:
    record = open_question(store, room.room.code, choice_question())
    with pytest.raises(Conflict, match="reset") as caught:
        store.set_state(record.id, state)  # type: ignore[arg-type]
    assert caught.value.code == "conflict"
    assert store.question(record.id) == record


def test_set_revealed(store: Store, room: RoomCreated) -> None:
    record = store.add_question(room.room.code, choice_question())
    assert store.set_revealed(record.id, True).revealed is True
    assert store.question(record.id).revealed is True
    assert store.set_revealed(record.id, False).revealed is False
    assert store.question(record.id).revealed is False


def test_reset_deletes_responses_and_returns_to_a_hidden_draft(
    store: Store, room: RoomCreated
) -> None:
    code = room.room.code
    record = open_question(store, code, choice_question())
    other = open_question(store, code, choice_question("other"))
    people = [store.join(code) for _ in range(3)]
    for person in people:
        store.respond(record.id, person.token, "ask")
        store.respond(other.id, person.token, "fix")
    store.set_revealed(record.id, True)
    before = store.version(record.id)

    reset = store.reset(record.id)
    assert reset.state == "draft" and reset.revealed is False
    assert reset.version > before
    assert store.responses(record.id) == []
    assert store.tally(record.id).total == 0
    assert len(store.responses(other.id)) == 3  # other questions keep their answers
    assert reset.question == record.question and reset.position == record.position

    with pytest.raises(QuestionClosed):  # a draft takes no answers...
        store.respond(record.id, people[0].token, "ask")
    store.set_state(record.id, "open")  # ...until it is opened again
    store.respond(record.id, people[0].token, "wait")
    assert [r.answer for r in store.responses(record.id)] == ["wait"]


def test_version_grows_on_every_change(store: Store, room: RoomCreated) -> None:
    code = room.room.code
    record = store.add_question(code, text_question())
    other = store.add_question(code, text_question("other"))
    person = store.join(code)
    seen = [store.version(record.id)]
    assert record.version == seen[0]

    def changed(result: object = None) -> None:
        now = store.version(record.id)
        assert now > seen[-1], f"version did not grow after {result!r}"
        seen.append(now)

    changed(store.set_state(record.id, "open"))
    first = store.respond(record.id, person.token, "first thought")
    changed(first)
    changed(store.respond(record.id, person.token, "second thought"))  # a revote
    changed(store.respond(record.id, person.token, "second thought"))  # even the same answer
    changed(store.moderate(first.id, True))
    changed(store.moderate(first.id, False))
    changed(store.set_revealed(record.id, True))
    changed(store.set_revealed(record.id, False))
    changed(store.set_state(record.id, "closed"))
    changed(store.reset(record.id))
    assert store.question(record.id).version == seen[-1]

    # changes to another question leave this one's version alone
    store.set_state(other.id, "open")
    store.respond(other.id, person.token, "elsewhere")
    assert store.version(record.id) == seen[-1]


def test_version_grows_by_one_per_stored_response(store: Store, room: RoomCreated) -> None:
    """So a watcher can tell from the version alone how many responses it has seen (the
    service benchmark relies on this to time each response to the facilitator)."""
    code = room.room.code
    record = store.add_question(code, choice_question())
    store.set_state(record.id, "open")
    people = [store.join(code) for _ in range(4)]
    before = store.version(record.id)
    batch = [(record.id, p.token, "ask") for p in people[:3]]
    batch += [(record.id, "not-a-token", "ask"), (record.id, people[3].token, "no-such-option")]
    batch += [(record.id, people[0].token, "fix")]  # a revote in the same batch
    results = store.respond_many(batch)
    assert [isinstance(r, StoreError) for r in results] == [False] * 3 + [True, True, False]
    assert store.version(record.id) == before + 4


def test_an_unknown_question_is_not_found(store: Store, room: RoomCreated) -> None:
    record = open_question(store, room.room.code, choice_question())
    person = store.join(room.room.code)
    missing = record.id + 1000
    calls: list[Callable[[], object]] = [
        lambda: store.question(missing),
        lambda: store.set_state(missing, "open"),
        lambda: store.set_state(missing, "closed"),
        lambda: store.set_revealed(missing, True),
        lambda: store.reset(missing),
        lambda: store.responses(missing),
        lambda: store.version(missing),
        lambda: store.tally(missing),
        lambda: store.respond(missing, person.token, "ask"),
    ]
    for call in calls:
        with pytest.raises(NotFound, match=str(missing)):
            call()
    with pytest.raises(NotFound):
        store.moderate(10_000, True)
    assert store.room(room.room.code).current_question == record.id


# =========================================================================== participants


def test_join_gives_a_token_that_resolves_to_the_participant(
    store: Store, room: RoomCreated
) -> None:
    code = room.room.code
    first = store.join(code)
    second = store.join(code.lower())
    assert isinstance(first.token, str) and len(first.token) >= 20
    assert first.token != second.token and first.id != second.id
    assert first.room_code == second.room_code == code
    assert store.participant(code, first.token) == first.id
    assert store.participant(f" {code.lower()} ", second.token) == second.id
    for bad in ("not-a-token", "", first.token + "x", None):
        with pytest.raises(Unauthorized) as caught:
            store.participant(code, bad)  # type: ignore[arg-type]
        assert caught.value.code == "unauthorized"


def test_a_token_from_one_room_is_refused_in_another(store: Store) -> None:
    room_a = store.create_room("A").room.code
    room_b = store.create_room("B").room.code
    person_a = store.join(room_a)
    store.join(room_b)
    question_b = open_question(store, room_b, choice_question())
    with pytest.raises(Unauthorized, match="not known in this room"):
        store.participant(room_b, person_a.token)
    with pytest.raises(Unauthorized):
        store.respond(question_b.id, person_a.token, "ask")
    assert snapshot(store, question_b.id) == ([], question_b.version)
    assert store.participant(room_a, person_a.token) == person_a.id


def test_participant_count(store: Store) -> None:
    room_a = store.create_room("A").room.code
    room_b = store.create_room("B").room.code
    assert store.participant_count(room_a) == 0
    for _ in range(4):
        store.join(room_a)
    store.join(room_b)
    assert store.participant_count(room_a) == 4
    assert store.participant_count(room_b.lower()) == 1


def test_join_with_a_limit_refuses_once_the_room_is_full(store: Store) -> None:
    room_a = store.create_room("A").room.code
    room_b = store.create_room("B").room.code
    first = store.join(room_a, limit=2)
    store.join(room_a, limit=2)
    with pytest.raises(RoomFull, match="2 participants") as caught:
        store.join(room_a, limit=2)
    assert caught.value.code == "room_full" and isinstance(caught.value, Conflict)
    assert store.participant_count(room_a) == 2  # the refused join stored nothing
    assert store.participant(room_a, first.token) == first.id
    store.join(room_a, limit=3)  # a higher limit, or none, lets more in
    store.join(room_a)
    assert store.participant_count(room_a) == 4
    store.join(room_b, limit=1)  # other rooms count their own
    with pytest.raises(NotFound):
        store.join("ZZZZZZ", limit=5)


def test_joins_with_a_limit_from_many_threads_never_overfill(store: Store) -> None:
    code = store.create_room("crowded").room.code
    outcomes: list[str] = []
    barrier = threading.Barrier(8)

    def work() -> None:
        barrier.wait()
        for _ in range(5):
            try:
                store.join(code, limit=17)
                outcomes.append("joined")
            except RoomFull:
                outcomes.append("full")

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("joined") == 17 and outcomes.count("full") == 40 - 17
    assert store.participant_count(code) == 17


# =========================================================================== responses


def test_a_revote_replaces_the_earlier_answer(store: Store, room: RoomCreated) -> None:
    code = room.room.code
    record = open_question(store, code, choice_question())
    person, other = store.join(code), store.join(code)
    first = store.respond(record.id, person.token, "fix")
    store.respond(record.id, other.token, "fix")
    second = store.respond(record.id, person.token, "ask")

    assert second.id == first.id
    assert second.participant == first.participant == person.id
    assert second.answer == "ask"
    assert second.created_at == first.created_at and second.updated_at >= first.updated_at
    rows = store.responses(record.id)
    assert [(r.participant, r.answer) for r in rows] == [(person.id, "ask"), (other.id, "fix")]
    result = store.tally(record.id)
    assert isinstance(result, ChoiceTally)
    assert dict(result.counts) == {"ask": 1, "fix": 1, "wait": 0}
    assert result.total == 2
    assert store.answers_by_participant(record.id) == {person.id: "ask", other.id: "fix"}


def test_a_response_can_be_looked_up_by_id(store: Store, room: RoomCreated) -> None:
    code = room.room.code
    record = open_question(store, code, text_question())
    person = store.join(code)
    stored = store.respond(record.id, person.token, "a thought")
    assert store.response(stored.id) == stored
    store.moderate(stored.id, True)
    assert store.response(stored.id).moderation == "approved"
    assert store.response(stored.id) == store.responses(record.id)[0]
    with pytest.raises(NotFound, match=str(stored.id + 1000)):
        store.response(stored.id + 1000)


def test_a_closed_question_refuses_answers(store: Store, room: RoomCreated) -> None:
    code = room.room.code
    record = open_question(store, code, choice_question())
    person, late = store.join(code), store.join(code)
    store.respond(record.id, person.token, "ask")
    store.set_state(record.id, "closed")
    before = snapshot(store, record.id)
    for token, answer in ((person.token, "fix"), (late.token, "ask"), (late.token, PASS)):
        with pytest.raises(QuestionClosed, match="closed") as caught:
            store.respond(record.id, token, answer)
        assert caught.value.code == "question_closed"
    assert snapshot(store, record.id) == before
    assert before[0][0].answer == "ask"


def test_a_draft_question_refuses_answers(store: Store, room: RoomCreated) -> None:
    record = store.add_question(room.room.code, choice_question())
    person = store.join(room.room.code)
    with pytest.raises(QuestionClosed, match="not opened"):
        store.respond(record.id, person.token, "ask")
    assert snapshot(store, record.id) == ([], record.version)


INVALID_ANSWERS = [
    ("choice", "nope", "'nope' is not an option"),
    ("choice", "ASK", "is not an option"),
    ("choice", 3, "must be an option id"),
    ("choice", None, "must be an option id"),
    ("choice", ["ask"], "must be an option id"),
    ("scale", 5.5, "outside the scale"),
    ("scale", -0.5, "outside the scale"),
    ("scale", 1000, "outside the scale"),
    ("scale", 0.25, "not a point of the scale"),
    ("scale", 2.2, "not a point of the scale"),
    ("scale", "3", "must be a number"),
    ("scale", True, "must be a number"),
    ("scale", None, "must be a number"),
    ("scale", float("nan"), "must be a number"),
    ("scale", float("inf"), "must be a number"),
    ("text", "x" * 21, "21 characters; the limit is 20"),
    ("text", 42, "must be text"),
    ("text", ["words"], "must be text"),
    ("text", "   ", "is empty"),
]


@pytest.mark.parametrize(
    ("kind", "answer", "message"),
    INVALID_ANSWERS,
    ids=[f"{kind}-{answer!r}"[:40] for kind, answer, _ in INVALID_ANSWERS],
)
def test_an_invalid_answer_is_refused_and_changes_nothing(
    store: Store, room: RoomCreated, kind: str, answer: object, message: str
) -> None:
    code = room.room.code
    record = open_question(store, code, QUESTION_MAKERS[kind]())
    person, newcomer = store.join(code), store.join(code)
    store.respond(record.id, person.token, GOOD_ANSWERS[kind])
    before = snapshot(store, record.id)
    assert len(before[0]) == 1

    for token in (person.token, newcomer.token):  # a revote and a first answer
        with pytest.raises(InvalidAnswer) as caught:
            store.respond(record.id, token, answer)
        assert message in caught.value.message
        assert message in str(caught.value)
        assert caught.value.code == "invalid_answer"
    assert snapshot(store, record.id) == before


def test_answers_are_stored_normalised(store: Store, room: RoomCreated) -> None:
    code = room.room.code
    scale = open_question(store, code, scale_question())
    text = open_question(store, code, text_question())
    person = store.join(code)
    stored = store.respond(scale.id, person.token, 3)
    assert stored.answer == 3.0 and isinstance(stored.answer, float)
    assert store.respond(scale.id, person.token, 0.1 * 15).answer == 1.5
    # a text is trimmed before its length is checked
    assert store.respond(text.id, person.token, "  " + "y" * 20 + "  ").answer == "y" * 20
    assert [r.answer for r in store.responses(text.id)] == ["y" * 20]
    assert [r.answer for r in store.responses(scale.id)] == [1.5]


@pytest.mark.parametrize("kind", list(QUESTION_MAKERS))
def test_pass_is_accepted_for_every_kind(store: Store, room: RoomCreated, kind: str) -> None:
    code = room.room.code
    record = open_question(store, code, QUESTION_MAKERS[kind]())
    people = [store.join(code) for _ in range(3)]
    stored = store.respond(record.id, people[0].token, PASS)
    assert stored.answer == PASS
    assert stored.moderation is None  # a pass is nothing to moderate
    store.respond(record.id, people[1].token, PASS)
    store.respond(record.id, people[2].token, GOOD_ANSWERS[kind])
    result = store.tally(record.id)
    assert result.passes == 2
    assert result.answered == 1
    assert result.total == 3


def test_text_responses_are_moderated(store: Store, room: RoomCreated) -> None:
    code = room.room.code
    record = open_question(store, code, text_question())
    people = [store.join(code) for _ in range(4)]
    stored = [
        store.respond(record.id, person.token, text)
        for person, text in zip(
            people, ("kind words", "rude words", "quiet words", PASS), strict=True
        )
    ]
    assert [r.moderation for r in stored] == ["pending", "pending", "pending", None]
    assert store.approved_texts(record.id) == []

    approved = store.moderate(stored[0].id, True)
    assert approved.moderation == "approved" and approved.answer == "kind words"
    assert store.moderate(stored[1].id, False).moderation == "rejected"
    store.moderate(stored[2].id, True)
    assert store.approved_texts(record.id) == ["kind words", "quiet words"]
    assert [r.moderation for r in store.responses(record.id)] == [
        "approved",
        "rejected",
        "approved",
        None,
    ]
    # a decision can be changed
    store.moderate(stored[2].id, False)
    assert store.approved_texts(record.id) == ["kind words"]
    # an edited reflection needs moderating again
    edited = store.respond(record.id, people[0].token, "kinder words")
    assert edited.moderation == "pending"
    assert store.approved_texts(record.id) == []
    # a pass has nothing to moderate
    with pytest.raises(Conflict):
        store.moderate(stored[3].id, True)


def test_only_reflections_can_be_moderated(store: Store, room: RoomCreated) -> None:
    code = room.room.code
    choice = open_question(store, code, choice_question())
    scale = open_question(store, code, scale_question())
    person = store.join(code)
    for record, answer in ((choice, "ask"), (scale, 2)):
        stored = store.respond(record.id, person.token, answer)
        before = snapshot(store, record.id)
        for approved in (True, False):
            with pytest.raises(Conflict, match="not a reflection"):
                store.moderate(stored.id, approved)
        assert snapshot(store, record.id) == before
        assert before[0][0].moderation is None


def test_respond_many_keeps_the_good_items_and_reports_the_bad_in_order(
    store: Store, room: RoomCreated
) -> None:
    code = room.room.code
    choice = open_question(store, code, choice_question())
    scale = open_question(store, code, scale_question())
    closed = store.add_question(code, text_question())
    store.set_state(closed.id, "closed")
    people = [store.join(code) for _ in range(3)]
    stranger = store.join(store.create_room("elsewhere").room.code)
    versions = {q.id: store.version(q.id) for q in (choice, scale, closed)}

    results = store.respond_many(
        [
            (choice.id, people[0].token, "ask"),
            (choice.id, people[1].token, "nope"),
            (scale.id, people[0].token, 4.5),
            (closed.id, people[0].token, "hello"),
            (choice.id, stranger.token, "ask"),
            (choice.id + 1000, people[0].token, "ask"),
            (scale.id, people[1].token, 9),
            (choice.id, people[2].token, PASS),
            (choice.id, people[0].token, "wait"),  # a revote within the batch
        ]
    )
    expected = [
        ResponseRecord,
        InvalidAnswer,
        ResponseRecord,
        QuestionClosed,
        Unauthorized,
        NotFound,
        InvalidAnswer,
        ResponseRecord,
        ResponseRecord,
    ]
    assert [type(r) for r in results] == expected
    assert all(isinstance(r, StoreError) for r in results if not isinstance(r, ResponseRecord))
    assert "not an option" in results[1].message  # type: ignore[union-attr]
    assert "outside the scale" in results[6].message  # type: ignore[union-attr]
    assert results[8].id == results[0].id  # type: ignore[union-attr]

    assert {(r.participant, r.answer) for r in store.responses(choice.id)} == {
        (people[0].id, "wait"),
        (people[2].id, PASS),
    }
    assert [(r.participant, r.answer) for r in store.responses(scale.id)] == [(people[0].id, 4.5)]
    assert store.responses(closed.id) == []
    assert store.version(closed.id) == versions[closed.id]
    assert store.version(choice.id) > versions[choice.id]
    assert store.version(scale.id) > versions[scale.id]


def test_respond_many_with_only_bad_items_changes_nothing(store: Store, room: RoomCreated) -> None:
    code = room.room.code
    record = open_question(store, code, choice_question())
    person = store.join(code)
    store.respond(record.id, person.token, "fix")
    before = snapshot(store, record.id)
    results = store.respond_many(
        [(record.id, person.token, "nope"), (record.id, "bad-token", "ask")]
    )
    assert [type(r) for r in results] == [InvalidAnswer, Unauthorized]
    assert snapshot(store, record.id) == before
    assert store.respond_many([]) == []


def test_respond_raises_the_refusal(store: Store, room: RoomCreated) -> None:
    record = open_question(store, room.room.code, choice_question())
    with pytest.raises(Unauthorized, match="token"):
        store.respond(record.id, None, "ask")  # type: ignore[arg-type]
    with pytest.raises(Unauthorized, match="join again"):
        store.respond(record.id, "made-up", "ask")
    assert snapshot(store, record.id) == ([], store.question(record.id).version)


# =========================================================================== tallies


def test_choice_tally(store: Store, room: RoomCreated) -> None:
    code = room.room.code
    record = open_question(store, code, choice_question())
    empty = store.tally(record.id)
    assert isinstance(empty, ChoiceTally)
    assert empty.total == 0 and empty.lean is None
    assert empty.percentages() == {"ask": 0.0, "fix": 0.0, "wait": 0.0}

    for answer in ("ask", "ask", "fix", PASS, "ask"):
        store.respond(record.id, store.join(code).token, answer)
    result = store.tally(record.id)
    assert isinstance(result, ChoiceTally)
    assert result.question_id == "scenario"
    assert result.counts == (("ask", 3), ("fix", 1), ("wait", 0))
    assert result.passes == 1 and result.answered == 4 and result.total == 5
    assert result.percentages() == {"ask": 75.0, "fix": 25.0, "wait": 0.0}
    assert result.lean == pytest.approx((9 * 3 + 3) / 4)  # positions 9 and 3, passes left out


def test_scale_tally(store: Store, room: RoomCreated) -> None:
    code = room.room.code
    record = open_question(store, code, scale_question())
    for answer in (1, 2, 2, 3, 4.5, PASS):
        store.respond(record.id, store.join(code).token, answer)
    result = store.tally(record.id)
    assert isinstance(result, ScaleTally)
    assert result.n == 5 and result.passes == 1 and result.total == 6
    assert (result.q1, result.median, result.q3) == (2.0, 2.0, 3.0)
    assert result.mean == pytest.approx(2.5)
    histogram = dict(result.histogram)
    assert list(histogram) == [i / 2 for i in range(11)]  # every point 0, 0.5 ... 5
    assert histogram == {**dict.fromkeys(histogram, 0), 1.0: 1, 2.0: 2, 3.0: 1, 4.5: 1}


def test_text_tally(store: Store, room: RoomCreated) -> None:
    code = room.room.code
    record = open_question(store, code, text_question())
    for answer in ("one", "two", PASS):
        store.respond(record.id, store.join(code).token, answer)
    result = store.tally(record.id)
    assert isinstance(result, TextTally)
    assert (result.n, result.passes, result.total) == (2, 1, 3)


def test_pre_post_pairs_answers_by_participant(store: Store, room: RoomCreated) -> None:
    code = room.room.code
    pre = store.add_question(code, scale_question("confidence-pre"), source="confidence", tag="pre")
    post = store.add_question(
        code, scale_question("confidence-post"), source="confidence", tag="post"
    )
    store.add_question(code, scale_question("other-pre"), source="other", tag="pre")
    store.add_question(code, choice_question("vote-pre"), source="vote", tag="pre")
    store.add_question(code, choice_question("vote-post"), source="vote", tag="post")
    for record in (pre, post):
        store.set_state(record.id, "open")
    people = [store.join(code) for _ in range(4)]
    for person, answer in zip(people[:3], (1, 2, 3), strict=True):
        store.respond(pre.id, person.token, answer)
    for person, answer in ((people[0], 3), (people[1], PASS), (people[3], 4)):
        store.respond(post.id, person.token, answer)

    got_pre, got_post, comparison = store.pre_post(code, "confidence")
    assert (got_pre.id, got_post.id) == (pre.id, post.id)
    assert comparison.paired == ((1.0, 3.0),)  # only who answered both, passes left out
    assert (comparison.pre.median, comparison.post.median) == (2.0, 3.5)
    assert comparison.median_shift == 1.5
    assert comparison.moved == {"towards_high": 1, "towards_low": 0, "unchanged": 0}
    with pytest.raises(NotFound, match="'other'"):
        store.pre_post(code, "other")  # no "post"
    with pytest.raises(NotFound):
        store.pre_post(code, "missing")
    with pytest.raises(Conflict, match="not a scale"):
        store.pre_post(code, "vote")


# =========================================================================== export


@pytest.fixture
def answered_room(store: Store) -> tuple[RoomCreated, list, list]:
    """A room with one question of each kind answered by three people (plus a silent one)."""
    # participants elsewhere first, so internal participant ids cannot be 1, 2, 3
    elsewhere = store.create_room("elsewhere").room.code
    for _ in range(5):
        store.join(elsewhere)
    created = store.create_room("export")
    code = created.room.code
    records = [
        open_question(store, code, choice_question()),
        open_question(store, code, scale_question()),
        open_question(store, code, text_question()),
    ]
    store.reset(records[2].id)  # positions and tags survive a reset
    store.set_state(records[2].id, "open")
    people = [store.join(code) for _ in range(4)]
    answers = {
        records[0].id: [(people[2], "ask"), (people[0], "fix"), (people[1], "ask")],
        records[1].id: [(people[0], 2.5), (people[1], PASS), (people[2], 2.5)],
        records[2].id: [(people[1], "a thought"), (people[2], PASS)],
    }
    for question_id, pairs in answers.items():
        for person, answer in pairs:
            store.respond(question_id, person.token, answer)
    return created, records, people


def test_export_totals(store: Store, answered_room: tuple) -> None:
    created, _records, _people = answered_room
    rows = store.export_rows(created.room.code)
    assert rows == store.export_rows(created.room.code, per_response=False)
    choice = [r for r in rows if r["question"] == 1]
    assert [(r["answer"], r["count"]) for r in choice] == [
        ("ask", 2),
        ("fix", 1),
        ("wait", 0),
        (PASS, 0),
    ]
    assert [r["percent"] for r in choice] == [66.7, 33.3, 0.0, ""]
    assert all(r["question_id"] == "scenario" and r["kind"] == "choice" for r in choice)

    scale = [r for r in rows if r["question"] == 2]
    assert len(scale) == 11 + 1
    assert {r["answer"]: r["count"] for r in scale if r["count"]} == {2.5: 2, PASS: 1}
    assert {r["answer"]: r["percent"] for r in scale}[2.5] == 100.0

    text = [r for r in rows if r["question"] == 3]
    assert [(r["answer"], r["count"]) for r in text] == [("reflections", 1), (PASS, 1)]
    assert len(rows) == len(choice) + len(scale) + len(text)


PER_RESPONSE_COLUMNS = {
    "question",
    "question_id",
    "tag",
    "kind",
    "participant",
    "answer",
    "moderation",
    "answered_at",
}


def test_export_per_response_is_anonymous(store: Store, answered_room: tuple) -> None:
    created, _records, people = answered_room
    rows = store.export_rows(created.room.code, per_response=True)
    assert len(rows) == 3 + 3 + 2
    assert all(set(row) == PER_RESPONSE_COLUMNS for row in rows)
    # numbered 1..n in order of first appearance, the same number across questions
    numbers = [row["participant"] for row in rows]
    assert sorted(set(numbers)) == [1, 2, 3]
    firsts = list(dict.fromkeys(numbers))
    assert firsts == [1, 2, 3]
    expected = [
        (1, "ask"), (2, "fix"), (3, "ask"),
        (2, 2.5), (3, PASS), (1, 2.5),
        (3, "a thought"), (1, PASS),
    ]  # fmt: skip
    assert [(row["participant"], row["answer"]) for row in rows] == expected
    # neither tokens nor internal ids leak
    assert all(p.id > 3 for p in people)
    assert not {p.id for p in people} & set(numbers)
    flat = repr(rows)
    for person in people:
        assert person.token not in flat
    assert [row["moderation"] for row in rows if row["question"] == 3] == ["pending", ""]


def test_export_of_an_unknown_room_is_not_found(store: Store) -> None:
    for per_response in (False, True):
        with pytest.raises(NotFound):
            store.export_rows("ZZZZZZ", per_response=per_response)


# =========================================================================== purge


def test_purge_room_removes_everything(store: Store, answered_room: tuple) -> None:
    created, records, people = answered_room
    code = created.room.code
    keep = store.create_room("keep")
    kept_question = open_question(store, keep.room.code, text_question())
    kept_person = store.join(keep.room.code)
    store.respond(kept_question.id, kept_person.token, "still here")

    store.purge_room(code.lower())

    with pytest.raises(NotFound):
        store.room(code)
    with pytest.raises(NotFound):
        store.questions(code)
    for record in records:
        with pytest.raises(NotFound):
            store.question(record.id)
        with pytest.raises(NotFound):
            store.responses(record.id)
    for person in people:
        with pytest.raises(Unauthorized):
            store.participant(code, person.token)
    assert store.check_facilitator(code, created.facilitator_key) is False
    with pytest.raises(NotFound):
        store.purge_room(code)
    # the other room is untouched
    assert store.room(keep.room.code).current_question == kept_question.id
    assert [r.answer for r in store.responses(kept_question.id)] == ["still here"]
    assert store.participant(keep.room.code, kept_person.token) == kept_person.id


# =========================================================================== threads


def test_threads_sharing_one_store_lose_nothing(store: Store, room: RoomCreated) -> None:
    code = room.room.code
    questions = [open_question(store, code, scale_question(f"q{i}")) for i in range(10)]
    threads_n, people_per_thread = 8, 5
    people = [[store.join(code) for _ in range(people_per_thread)] for _ in range(threads_n)]
    shared = store.join(code)  # every thread revotes for this one on question 0
    barrier = threading.Barrier(threads_n)
    errors: list[BaseException] = []

    def work(index: int) -> None:
        try:
            barrier.wait()
            for person in people[index]:
                for question in questions:
                    store.respond(question.id, person.token, index % 6)
                store.respond(questions[0].id, shared.token, index / 2)
                store.tally(questions[0].id)  # reads interleaved with the writes
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(threads_n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []

    for question in questions:
        rows = store.responses(question.id)
        expected = threads_n * people_per_thread + (question is questions[0])
        assert len(rows) == expected
    for index, group in enumerate(people):
        for person in group:
            mine = [
                r.answer
                for question in questions
                for r in store.responses(question.id)
                if r.participant == person.id
            ]
            assert mine == [float(index % 6)] * len(questions)
    shared_rows = [r for r in store.responses(questions[0].id) if r.participant == shared.id]
    assert len(shared_rows) == 1


# =========================================================================== other processes

#: Seconds a writer waits between its requests. Without a gap, whichever process holds the write
#: lock tends to keep it (SQLite's busy handler sleeps 1-100 ms between retries) and the two
#: processes take turns only a few times; with it their commits interleave hundreds of times.
PAUSE = 0.0002

WRITER = textwrap.dedent(
    """
    import json, sys, time
    from peerkit.store import open_store

    location, job = sys.argv[1], json.loads(open(sys.argv[2]).read())
    store = open_store(location)
    print("ready", flush=True)
    sys.stdin.readline()  # wait for the start signal
    started = time.time()
    ids = []
    for q, token, answer in job:
        ids.append(store.respond(q, token, answer).id)
        time.sleep(float(sys.argv[3]))  # a moment between requests, as a real service has
    print(json.dumps({"started": started, "finished": time.time(), "ids": ids}), flush=True)
    store.close()
    """
)


def test_two_processes_writing_at_once_lose_nothing(location: str, tmp_path: Path) -> None:
    """Acceptance: two OS processes each write 1,000 responses, one commit each, at once."""
    per_process, questions_n = 1000, 40
    people_per_process = per_process // questions_n
    with reopen(location) as setup:
        code = setup.create_room("busy").room.code
        questions = [
            open_question(setup, code, scale_question(f"q{i}")).id for i in range(questions_n)
        ]
        jobs = []
        for index in range(2):
            people = [setup.join(code) for _ in range(people_per_process)]
            answer = float(index + 1)
            jobs.append([(q, p.token, answer) for p in people for q in questions])
    assert all(len(job) == per_process for job in jobs)

    procs = []
    try:
        for index, job in enumerate(jobs):
            job_file = tmp_path / f"job{index}.json"
            job_file.write_text(json.dumps(job))
            procs.append(
                subprocess.Popen(
                    [sys.executable, "-c", WRITER, location, str(job_file), str(PAUSE)],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                )
            )
        for proc in procs:  # both have opened the store...
            assert proc.stdout is not None and proc.stderr is not None
            assert proc.stdout.readline() == "ready\n", proc.stderr.read()
        for proc in procs:  # ...and start together
            assert proc.stdin is not None
            proc.stdin.write("go\n")
            proc.stdin.flush()
        reports = []
        for proc in procs:
            out, err = proc.communicate(timeout=60)
            assert proc.returncode == 0, err
            reports.append(json.loads(out))
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()

    # they really did write at the same time: their commits interleave
    first, second = reports
    assert first["started"] < second["finished"] and second["started"] < first["finished"]
    writer_of = {i: index for index, report in enumerate(reports) for i in report["ids"]}
    in_order = [writer_of[i] for i in sorted(writer_of)]
    turns = sum(1 for a, b in pairwise(in_order) if a != b)
    assert turns >= 10, f"the writers took only {turns} turns; they did not overlap"

    with reopen(location) as check:
        rows = [r for q in questions for r in check.responses(q)]
        assert len(rows) == 2 * per_process
        assert len({r.id for r in rows}) == 2 * per_process
        answers = {r.id: r.answer for r in rows}
        for index, report in enumerate(reports):
            assert len(set(report["ids"])) == per_process
            assert {answers[i] for i in report["ids"]} == {float(index + 1)}
        assert check.tally(questions[0]).total == 2 * people_per_process


ACKNOWLEDGER = textwrap.dedent(
    """
    import json, sys
    from peerkit.store import open_store

    store = open_store(sys.argv[1])
    code, question_id = sys.argv[2], int(sys.argv[3])
    for i in range(1_000_000):  # until killed
        person = store.join(code)
        stored = store.respond(question_id, person.token, f"reflection {i}")
        print(json.dumps([stored.id, stored.participant, stored.answer]), flush=True)
    """
)


@pytest.mark.parametrize("kill_after", [1, 50], ids=["first-ack", "50-acks"])
def test_acknowledged_responses_survive_a_killed_process(location: str, kill_after: int) -> None:
    """Acceptance: every response acknowledged before SIGKILL is there after reopening."""
    with reopen(location) as setup:
        code = setup.create_room("durable").room.code
        question_id = open_question(setup, code, text_question(max_length=100)).id

    proc = subprocess.Popen(
        [sys.executable, "-c", ACKNOWLEDGER, location, code, str(question_id)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    acks = []
    try:
        assert proc.stdout is not None
        while len(acks) < kill_after:
            line = proc.stdout.readline()
            assert line, f"the writer stopped early: {proc.stderr.read()}"  # type: ignore[union-attr]
            acks.append(json.loads(line))
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
    assert proc.returncode == -signal.SIGKILL  # killed mid-stream, not finished

    with reopen(location) as check:
        stored = {r.id: r for r in check.responses(question_id)}
        assert len(stored) >= kill_after
        for response_id, participant, answer in acks:
            assert response_id in stored, f"acknowledged response {response_id} was lost"
            assert stored[response_id].answer == answer
            assert stored[response_id].participant == participant
            assert stored[response_id].moderation == "pending"
        assert check.participant_count(code) >= kill_after
        # and the store still works
        late = check.join(code)
        check.respond(question_id, late.token, "after the crash")
        assert len(check.responses(question_id)) == len(stored) + 1


# =========================================================================== the SQLite file


def user_version(path: Path) -> int:
    con = sqlite3.connect(path)
    try:
        return con.execute("PRAGMA user_version").fetchone()[0]
    finally:
        con.close()


def tables(path: Path) -> set[str]:
    con = sqlite3.connect(path)
    try:
        rows = con.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    finally:
        con.close()
    return {name for (name,) in rows}


def populate(store: Store) -> tuple[str, int, str]:
    """A room with an answered question: (join code, question id, a participant's token)."""
    code = store.create_room("kept").room.code
    question_id = open_question(store, code, choice_question()).id
    person = store.join(code)
    store.respond(question_id, person.token, "ask")
    return code, question_id, person.token


def assert_populated(store: Store, code: str, question_id: int, token: str) -> None:
    assert store.room(code).title == "kept"
    assert store.question(question_id).state == "open"
    person = store.participant(code, token)
    assert [(r.participant, r.answer) for r in store.responses(question_id)] == [(person, "ask")]


def test_a_new_database_is_at_the_current_schema_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "dir" / "peerkit.db"  # missing folders are made
    with SQLiteStore(path) as store:
        assert store.schema_version == SCHEMA_VERSION >= 1
        assert store._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert store._db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert store._db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert user_version(path) == SCHEMA_VERSION
    con = sqlite3.connect(path)
    try:  # WAL mode is a property of the file: a plain connection sees it too
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        con.close()
    assert {"rooms", "questions", "participants", "responses"} <= tables(path)


def test_synchronous_must_be_a_safe_setting(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="synchronous"):
        SQLiteStore(tmp_path / "x.db", synchronous="OFF")
    with SQLiteStore(tmp_path / "y.db", synchronous="NORMAL") as store:
        assert store._db.execute("PRAGMA synchronous").fetchone()[0] == 1


def test_reopening_keeps_the_data_and_does_not_migrate_again(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "peerkit.db"
    caplog.set_level(logging.INFO, logger=sqlite_module.__name__)
    with SQLiteStore(path) as store:
        kept = populate(store)
    assert "schema upgraded to version 1" in caplog.text
    caplog.clear()
    for _ in range(2):
        with SQLiteStore(path) as store:
            assert store.schema_version == SCHEMA_VERSION
            assert_populated(store, *kept)
    assert "schema upgraded" not in caplog.text


def test_a_newer_schema_is_refused_clearly(tmp_path: Path) -> None:
    path = tmp_path / "peerkit.db"
    with SQLiteStore(path) as store:
        kept = populate(store)
    con = sqlite3.connect(path)
    con.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    con.close()

    with pytest.raises(SchemaTooNew) as caught:
        SQLiteStore(path)
    message = caught.value.message
    assert str(path) in message
    assert f"schema version {SCHEMA_VERSION + 1}" in message
    assert f"({SCHEMA_VERSION})" in message
    assert "upgrade peerkit" in message
    assert caught.value.code == "schema_too_new"
    assert isinstance(caught.value, StoreError)
    assert user_version(path) == SCHEMA_VERSION + 1  # left as it was

    con = sqlite3.connect(path)
    con.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    con.close()
    with SQLiteStore(path) as store:
        assert_populated(store, *kept)


def test_an_empty_file_is_migrated_from_version_zero(tmp_path: Path) -> None:
    path = tmp_path / "peerkit.db"
    path.write_bytes(b"")
    assert user_version(path) == 0
    with SQLiteStore(path) as store:
        assert store.schema_version == SCHEMA_VERSION
        kept = populate(store)
    assert user_version(path) == SCHEMA_VERSION
    with SQLiteStore(path) as store:
        assert_populated(store, *kept)


def test_a_future_migration_upgrades_an_existing_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "peerkit.db"
    with SQLiteStore(path) as store:
        kept = populate(store)
    assert user_version(path) == SCHEMA_VERSION

    future = (
        "CREATE TABLE notes (id INTEGER PRIMARY KEY, room_id INTEGER REFERENCES rooms(id))",
        "ALTER TABLE rooms ADD COLUMN colour TEXT NOT NULL DEFAULT 'blue'",
    )
    monkeypatch.setattr(sqlite_module, "MIGRATIONS", (*sqlite_module.MIGRATIONS, future))
    monkeypatch.setattr(sqlite_module, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    caplog.set_level(logging.INFO, logger=sqlite_module.__name__)

    with SQLiteStore(path) as store:
        assert store.schema_version == SCHEMA_VERSION + 1
        assert_populated(store, *kept)
        colour = store._db.execute("SELECT colour FROM rooms").fetchall()
        assert [row[0] for row in colour] == ["blue"]
    assert f"schema upgraded to version {SCHEMA_VERSION + 1}" in caplog.text
    assert caplog.text.count("schema upgraded") == 1  # only the new migration ran
    assert "notes" in tables(path)
    assert user_version(path) == SCHEMA_VERSION + 1

    # the old code now refuses the upgraded file
    monkeypatch.undo()
    with pytest.raises(SchemaTooNew):
        SQLiteStore(path)


@contextmanager
def upgraded_from(
    version: int,
    kind: str,
    request: pytest.FixtureRequest,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[tuple[Store, tuple[str, int, str]]]:
    """A store written by schema ``version`` (:func:`populate_v1`), opened by today's code:
    upgraded in place, everything kept; with what was written."""
    module = sqlite_module if kind == "sqlite" else postgres_module
    location = LOCATION_FACTORIES[kind](request, tmp_path)
    with monkeypatch.context() as old:
        old.setattr(module, "MIGRATIONS", module.MIGRATIONS[:version])
        old.setattr(module, "SCHEMA_VERSION", version)
        with open_store(location) as store:
            assert store.schema_version == version  # type: ignore[attr-defined]
            kept = populate_v1(store, kind)  # written as that version's create_room did
    with open_store(location) as store:
        assert store.schema_version == module.SCHEMA_VERSION  # type: ignore[attr-defined]
        assert_populated(store, *kept)
        yield store, kept


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_rooms_from_before_presenter_tokens_get_one_when_asked(
    kind: str, request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A database written before presenter tokens (schema 1) is upgraded in place: its rooms
    keep everything, have no presenter token (nothing opens their display) until the
    facilitator asks for one."""
    with upgraded_from(1, kind, request, tmp_path, monkeypatch) as (store, kept):
        code = kept[0]
        assert store.check_presenter(code, "") is False
        assert store.presenter_token(code, "old key") is None
        token = store.rotate_presenter(code, "old key")
        assert store.check_presenter(code, token) is True


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_rooms_from_before_languages_are_in_english(
    kind: str, request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A database written before rooms had a language (schema 2) is upgraded in place: its
    rooms keep everything and are in English; new rooms take the language they are given."""
    with upgraded_from(2, kind, request, tmp_path, monkeypatch) as (store, kept):
        assert store.schema_version == 3  # type: ignore[attr-defined]
        assert store.room(kept[0]).language == "en"
        assert store.create_room("nuevo", language="es").room.language == "es"


def populate_v1(store: Store, kind: str) -> tuple[str, int, str]:
    """:func:`populate` on a schema-1 or schema-2 database, whose rooms table has no presenter
    (schema 1) or language column (schemas 1 and 2): the room is written as those versions'
    ``create_room`` wrote it, without them."""
    code = "ACDEFG"
    if kind == "sqlite":
        store._db.execute(  # type: ignore[attr-defined]
            "INSERT INTO rooms (code, title, key_hash, created_at) VALUES (?, 'kept', ?, 'now')",
            (code, secret_hash("old key")),
        )
    else:
        with psycopg.connect(store.url) as con:  # type: ignore[attr-defined]
            con.execute(
                "INSERT INTO rooms (code, title, key_hash, created_at)"
                " VALUES (%s, 'kept', %s, now())",
                (code, secret_hash("old key")),
            )
    question_id = open_question(store, code, choice_question()).id
    person = store.join(code)
    store.respond(question_id, person.token, "ask")
    return code, question_id, person.token


def test_a_failing_migration_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "peerkit.db"
    with SQLiteStore(path) as store:
        kept = populate(store)

    broken = ("CREATE TABLE notes (id INTEGER PRIMARY KEY)", "THIS IS NOT SQL")
    monkeypatch.setattr(sqlite_module, "MIGRATIONS", (*sqlite_module.MIGRATIONS, broken))
    monkeypatch.setattr(sqlite_module, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    with pytest.raises(sqlite3.OperationalError):
        SQLiteStore(path)
    assert user_version(path) == SCHEMA_VERSION
    assert "notes" not in tables(path)

    monkeypatch.undo()
    with SQLiteStore(path) as store:
        assert_populated(store, *kept)


def test_stores_opening_a_new_file_at_the_same_moment_all_succeed(tmp_path: Path) -> None:
    """Several workers starting together on a new database: none may fail with "locked".

    Switching a new file to WAL needs an exclusive lock that SQLite refuses at once, without
    waiting, when another connection is switching it too; the store must retry.
    """
    openers, rounds = 2, 100  # two at a time hit the race most often (about one round in ten)
    errors: list[BaseException] = []
    for index in range(rounds):
        path = tmp_path / f"new{index}.db"
        barrier = threading.Barrier(openers)

        def open_it(path: Path = path, barrier: threading.Barrier = barrier) -> None:
            barrier.wait()
            try:
                with SQLiteStore(path) as store:
                    assert store.schema_version == SCHEMA_VERSION
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

        threads = [threading.Thread(target=open_it) for _ in range(openers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == [], f"round {index}: {errors[0]!r}"
        assert user_version(path) == SCHEMA_VERSION


def test_opening_a_new_file_waits_for_another_writer(tmp_path: Path) -> None:
    """The deterministic form of the race above: while another connection holds the write lock
    on a new file, SQLite refuses the switch to WAL at once; the store waits for the lock."""
    path = tmp_path / "peerkit.db"
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    try:
        other.execute("BEGIN IMMEDIATE")
        release = threading.Timer(0.3, lambda: other.execute("COMMIT"))
        release.start()
        started = time.monotonic()
        with SQLiteStore(path, busy_timeout_ms=10_000) as store:
            waited = time.monotonic() - started
            assert store.schema_version == SCHEMA_VERSION
        release.join()
        assert waited >= 0.2

        # and it gives up, with SQLite's own error, once the busy timeout has passed
        fresh = tmp_path / "fresh.db"
        blocker = sqlite3.connect(fresh, isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")
        started = time.monotonic()
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            SQLiteStore(fresh, busy_timeout_ms=300)
        assert 0.25 <= time.monotonic() - started < 5
        blocker.execute("ROLLBACK")
        blocker.close()
    finally:
        other.close()


def record_connections(monkeypatch: pytest.MonkeyPatch) -> list[sqlite3.Connection]:
    """A list that collects every SQLite connection opened from now on."""
    opened: list[sqlite3.Connection] = []
    real_connect = sqlite3.connect

    def recording_connect(*args: object, **kwargs: object) -> sqlite3.Connection:
        con = real_connect(*args, **kwargs)  # type: ignore[arg-type]
        opened.append(con)
        return con

    monkeypatch.setattr(sqlite_module.sqlite3, "connect", recording_connect)
    return opened


def assert_all_closed(opened: list[sqlite3.Connection]) -> None:
    assert opened, "no connection was opened"
    for con in opened:
        with pytest.raises(sqlite3.ProgrammingError, match="closed"):
            con.execute("SELECT 1")


def test_a_store_that_fails_to_open_closes_its_connection(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    too_new = tmp_path / "too-new.db"
    SQLiteStore(too_new).close()
    con = sqlite3.connect(too_new)
    con.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    con.close()
    broken = tmp_path / "broken.db"
    SQLiteStore(broken).close()

    opened = record_connections(monkeypatch)
    with pytest.raises(SchemaTooNew):
        SQLiteStore(too_new)
    assert_all_closed(opened)

    opened.clear()
    bad_migration = ("THIS IS NOT SQL",)
    monkeypatch.setattr(sqlite_module, "MIGRATIONS", (*sqlite_module.MIGRATIONS, bad_migration))
    monkeypatch.setattr(sqlite_module, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    with pytest.raises(sqlite3.OperationalError):
        SQLiteStore(broken)
    assert_all_closed(opened)


def test_purging_leaves_no_rows_behind(tmp_path: Path) -> None:
    path = tmp_path / "peerkit.db"
    with SQLiteStore(path) as store:
        code, _question_id, _token = populate(store)
        text = open_question(store, code, text_question())
        store.respond(text.id, store.join(code).token, "secret thoughts")
        store.purge_room(code)
        counts = {
            table: store._db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
            for table in ("rooms", "questions", "participants", "responses")
        }
    assert counts == dict.fromkeys(counts, 0)


def test_open_store_understands_paths_and_sqlite_urls(tmp_path: Path) -> None:
    path = tmp_path / "peerkit.db"
    with open_store(f"sqlite:///{path}") as store:
        assert isinstance(store, SQLiteStore)
        kept = populate(store)
    with open_store(path) as store:
        assert_populated(store, *kept)
    with open_store(":memory:") as store:
        assert isinstance(store, SQLiteStore)
        assert_populated(store, *populate(store))
    with pytest.raises(ValueError, match="postgresql"):
        open_store("mysql://localhost/peerkit")


def test_new_database_file_is_private(tmp_path: Path) -> None:
    path = tmp_path / "private.db"
    store = SQLiteStore(path)
    store.create_room("Private")
    store.close()
    assert path.stat().st_mode & 0o777 == 0o600


# ====================================================================== the PostgreSQL database


def pg_schema_version(url: str) -> int:
    with psycopg.connect(url) as con:
        return con.execute("SELECT version FROM peerkit_schema").fetchone()[0]  # type: ignore[index]


def test_open_store_opens_postgresql_urls(postgres_url: str) -> None:
    for url in (postgres_url, postgres_url.replace("postgresql://", "postgres://", 1)):
        with open_store(url) as store:
            assert isinstance(store, PostgresStore)
            store.create_room("by URL")


def test_a_new_postgresql_database_gets_the_current_schema(
    postgres_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=postgres_module.__name__)
    with PostgresStore(postgres_url) as store:
        assert store.schema_version == postgres_module.SCHEMA_VERSION >= 1
        kept = populate(store)
    assert caplog.text.count("schema upgraded") == postgres_module.SCHEMA_VERSION
    caplog.clear()
    with PostgresStore(postgres_url) as store:  # reopening keeps the data, migrates nothing
        assert_populated(store, *kept)
    assert "schema upgraded" not in caplog.text


def test_a_future_postgresql_migration_upgrades_and_old_code_refuses(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    current = postgres_module.SCHEMA_VERSION
    with PostgresStore(postgres_url) as store:
        kept = populate(store)

    future = ("ALTER TABLE rooms ADD COLUMN colour text NOT NULL DEFAULT 'blue'",)
    monkeypatch.setattr(postgres_module, "MIGRATIONS", (*postgres_module.MIGRATIONS, future))
    monkeypatch.setattr(postgres_module, "SCHEMA_VERSION", current + 1)
    caplog.set_level(logging.INFO, logger=postgres_module.__name__)
    with PostgresStore(postgres_url) as store:
        assert store.schema_version == current + 1
        assert_populated(store, *kept)
    assert caplog.text.count("schema upgraded") == 1
    with psycopg.connect(postgres_url) as con:
        assert con.execute("SELECT colour FROM rooms").fetchall() == [("blue",)]

    broken = ("CREATE TABLE notes (id integer)", "THIS IS NOT SQL")
    monkeypatch.setattr(postgres_module, "MIGRATIONS", (*postgres_module.MIGRATIONS, broken))
    monkeypatch.setattr(postgres_module, "SCHEMA_VERSION", current + 2)
    with pytest.raises(psycopg.errors.SyntaxError):
        PostgresStore(postgres_url)
    assert pg_schema_version(postgres_url) == current + 1  # a failed migration changed nothing
    with psycopg.connect(postgres_url) as con:
        assert con.execute("SELECT to_regclass('notes')").fetchone() == (None,)

    monkeypatch.undo()  # the old code refuses the upgraded database, saying why
    with pytest.raises(SchemaTooNew, match=f"schema version {current + 1}, newer") as caught:
        PostgresStore(postgres_url)
    assert "upgrade peerkit" in caught.value.message


OPENER = textwrap.dedent(
    """
    import sys
    from peerkit.store import open_store

    print("ready", flush=True)
    sys.stdin.readline()
    with open_store(sys.argv[1]) as store:
        print(store.create_room("opener").room.code, flush=True)
    """
)


def test_processes_opening_a_new_postgresql_database_at_once_all_succeed(
    postgres_url: str,
) -> None:
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", OPENER, postgres_url],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    try:
        for proc in procs:  # all started, so that they open the database together
            assert proc.stdout.readline() == "ready\n"  # type: ignore[union-attr]
        for proc in procs:
            proc.stdin.write("go\n")  # type: ignore[union-attr]
            proc.stdin.flush()  # type: ignore[union-attr]
        outputs = [proc.communicate(timeout=60) for proc in procs]
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    for proc, (_, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err
    codes = {out.strip() for out, _ in outputs}
    assert len(codes) == 4
    with PostgresStore(postgres_url) as store:
        assert store.schema_version == postgres_module.SCHEMA_VERSION
        assert all(store.room(code).title == "opener" for code in codes)


def test_a_stopped_server_means_storage_unavailable_until_it_is_back() -> None:
    """Its own server, as this test stops it. Nothing acknowledged is lost, nothing refused is
    stored, and the store connects again by itself."""
    with postgres_server() as server:
        url = server.url(server.create_database("outage"))
        store = PostgresStore(url)
        code = store.create_room("outage").room.code
        question_id = open_question(store, code, text_question(max_length=100)).id
        people = [store.join(code) for _ in range(4)]
        acked = {p.token: store.respond(question_id, p.token, "before").id for p in people[:2]}

        server.stop()
        calls: list[Callable[[], object]] = [
            lambda: store.respond(question_id, people[2].token, "during"),
            lambda: store.join(code),
            lambda: store.set_state(question_id, "closed"),
            lambda: store.responses(question_id),
            lambda: store.room(code),
        ]
        for call in calls:
            with pytest.raises(StorageUnavailable) as caught:
                call()
            assert caught.value.code == "storage_unavailable"
            assert "nothing was saved" in caught.value.message
            assert "cannot be reached" in caught.value.public or "lost" in caught.value.public
        server.start()

        acked[people[3].token] = store.respond(question_id, people[3].token, "after").id
        stored = {r.id: r.answer for r in store.responses(question_id)}
        assert set(stored) == set(acked.values())  # every acknowledged answer; "during" not
        assert sorted(stored.values()) == ["after", "before", "before"]
        assert store.participant_count(code) == 4
        assert store.question(question_id).state == "open"
        store.close()


def test_a_password_never_shows(postgres_url: str) -> None:
    from peerkit.store import display_location

    assert display_location("postgresql://ann:s3cret@db.example:5432/peerkit") == (
        "postgresql://ann:***@db.example:5432/peerkit"
    )
    assert display_location("postgres://db.example/peerkit?user=ann&password=s3cret&x") == (
        "postgres://db.example/peerkit?user=ann&password=***&x"
    )
    assert display_location("postgresql://ann@db.example/peerkit") == (
        "postgresql://ann@db.example/peerkit"
    )
    assert display_location("/var/lib/peerkit/peerkit.db") == "/var/lib/peerkit/peerkit.db"
    # a wrong password is refused without repeating it
    wrong = postgres_url.replace("postgres@", "nobody:s3cret@", 1)
    with pytest.raises(StorageUnavailable) as caught:
        PostgresStore(wrong)
    assert "s3cret" not in str(caught.value) and "nobody:***@" in str(caught.value)


def test_open_store_asks_for_psycopg_when_it_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)  # import psycopg now fails
    monkeypatch.delitem(sys.modules, "peerkit.store.postgres")
    with pytest.raises(StoreError, match=r"pip install 'peerkit\[postgres\]'"):
        open_store("postgresql://localhost/peerkit")


class Heard:
    """What a subscriber was told, waited for by the test."""

    def __init__(self) -> None:
        self.codes: list[str | None] = []
        self._changed = threading.Condition()

    def __call__(self, code: str | None) -> None:
        with self._changed:
            self.codes.append(code)
            self._changed.notify_all()

    def wait_for(self, code: str | None, timeout: float = 10) -> None:
        with self._changed:
            assert self._changed.wait_for(lambda: code in self.codes, timeout), (code, self.codes)

    def wait_for_more_than(self, count: int, timeout: float = 10) -> None:
        with self._changed:
            assert self._changed.wait_for(lambda: len(self.codes) > count, timeout), self.codes


def listener_pid(url: str, own: int) -> int:
    with psycopg.connect(url, autocommit=True) as con:
        for _ in range(100):
            rows = con.execute(
                "SELECT pid FROM pg_stat_activity"
                " WHERE datname = current_database() AND query LIKE 'LISTEN%%' AND pid <> %s",
                (own,),
            ).fetchall()
            if rows:
                return rows[0][0]
            time.sleep(0.05)
    raise AssertionError("no listening connection")


def test_subscribers_hear_of_changes_made_by_other_stores(postgres_url: str) -> None:
    listening, writer = PostgresStore(postgres_url), PostgresStore(postgres_url)
    heard = Heard()
    try:
        listening.subscribe(heard)
        code = writer.create_room("elsewhere").room.code
        person = writer.join(code)
        heard.wait_for(code)
        record = writer.add_question(code, text_question())
        steps: list[Callable[[], object]] = [
            lambda: writer.set_state(record.id, "open"),
            lambda: writer.respond(record.id, person.token, "a thought"),
            lambda: writer.moderate(writer.responses(record.id)[0].id, True),
            lambda: writer.set_revealed(record.id, True),
            lambda: writer.reset(record.id),
            lambda: writer.purge_room(code),
        ]
        for step in steps:
            before = len(heard.codes)
            step()
            heard.wait_for_more_than(before)
            assert heard.codes[-1] == code

        # a refused write announces nothing, and the listener's own store's writes are not news
        own_room = listening.create_room("mine").room.code
        listening.join(own_room)
        with pytest.raises(NotFound):
            writer.join(code)  # purged
        marker = writer.create_room("marker").room.code
        writer.join(marker)
        heard.wait_for(marker)
        assert own_room not in heard.codes
        assert heard.codes.count(code) == 2 + len(steps)  # join, add_question, the steps
    finally:
        listening.close()
        writer.close()


def test_a_listener_that_lost_its_connection_reconnects_and_says_anything_may_have_changed(
    postgres_url: str,
) -> None:
    listening, writer = PostgresStore(postgres_url), PostgresStore(postgres_url)
    heard = Heard()
    try:
        listening.subscribe(heard)
        with psycopg.connect(postgres_url, autocommit=True) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(%s)",
                (listener_pid(postgres_url, listening._backend_pid or 0),),
            )
        heard.wait_for(None)
        code = writer.create_room("after").room.code
        writer.join(code)
        heard.wait_for(code)  # listening again
    finally:
        started = time.monotonic()
        listening.close()
        assert time.monotonic() - started < 5  # the listener stops promptly
        writer.close()
    assert not any(t.name == "peerkit-listen" and t.is_alive() for t in threading.enumerate())
