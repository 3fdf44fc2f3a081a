"""The embedded store: one SQLite file in WAL mode.

Durability: every write runs in its own ``BEGIN IMMEDIATE`` transaction and has been committed
when the method returns; with ``synchronous=FULL`` (the default) a commit is on disk, so a
response acknowledged to a participant survives a killed process and a power cut.
Several processes may write at once: SQLite serialises writers and waits up to
``busy_timeout`` for the lock instead of failing.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from ..model import MIN_GROUP_SIZE, Question, question_to_dict
from .base import (
    Participant,
    QuestionRecord,
    ResponseRecord,
    RoomCreated,
    RoomFull,
    SchemaTooNew,
    StorageUnavailable,
    StoreError,
    new_secret,
    secret_hash,
)
from .sql import (
    SQLStore,
    accepted_answer,
    check_new_state,
    check_room_settings,
    check_token,
    each_item,
    new_presenter,
    not_a_reflection,
    now,
    question_not_found,
    response_not_found,
    response_record,
    stamp,
    unknown_token,
    with_free_code,
)

log = logging.getLogger(__name__)

#: Each entry upgrades the schema by one version; ``PRAGMA user_version`` records how many ran.
#: Never edit an entry that has shipped: append a new one.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """CREATE TABLE rooms (
            id INTEGER PRIMARY KEY,
            code TEXT NOT NULL UNIQUE,
            title TEXT NOT NULL DEFAULT '',
            key_hash TEXT NOT NULL,
            min_group INTEGER NOT NULL DEFAULT 3 CHECK (min_group >= 1),
            current_question INTEGER,
            created_at TEXT NOT NULL
        )""",
        """CREATE TABLE questions (
            id INTEGER PRIMARY KEY,
            room_id INTEGER NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            source TEXT,
            tag TEXT NOT NULL DEFAULT '',
            body TEXT NOT NULL,
            state TEXT NOT NULL DEFAULT 'draft' CHECK (state IN ('draft', 'open', 'closed')),
            revealed INTEGER NOT NULL DEFAULT 0,
            version INTEGER NOT NULL DEFAULT 1,
            created_at TEXT NOT NULL,
            UNIQUE (room_id, position)
        )""",
        """CREATE TABLE participants (
            id INTEGER PRIMARY KEY,
            room_id INTEGER NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
            token_hash TEXT NOT NULL UNIQUE,
            joined_at TEXT NOT NULL
        )""",
        "CREATE INDEX participants_room ON participants(room_id)",
        """CREATE TABLE responses (
            id INTEGER PRIMARY KEY,
            question_id INTEGER NOT NULL REFERENCES questions(id) ON DELETE CASCADE,
            participant_id INTEGER NOT NULL REFERENCES participants(id) ON DELETE CASCADE,
            answer TEXT NOT NULL,
            moderation TEXT CHECK (moderation IN ('pending', 'approved', 'rejected')),
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            UNIQUE (question_id, participant_id)
        )""",
    ),
    # the presenter token: its nonce and hash; rooms made before have none until one is issued
    (
        "ALTER TABLE rooms ADD COLUMN presenter_nonce TEXT",
        "ALTER TABLE rooms ADD COLUMN presenter_hash TEXT",
    ),
    # the room's language; rooms made before are in English
    ("ALTER TABLE rooms ADD COLUMN language TEXT NOT NULL DEFAULT 'en'",),
)
SCHEMA_VERSION = len(MIGRATIONS)

__all__ = ["SCHEMA_VERSION", "SQLiteStore", "SchemaTooNew"]


def _now() -> str:
    """The time now, stored as ISO 8601 text in UTC to the millisecond."""
    return stamp(now())


class SQLiteStore(SQLStore):
    """A :class:`Store` in one SQLite database file (``":memory:"`` for a throwaway one)."""

    def __init__(
        self,
        path: str | Path,
        *,
        synchronous: str = "FULL",
        busy_timeout_ms: int = 30_000,
    ) -> None:
        if synchronous not in ("FULL", "NORMAL", "EXTRA"):
            raise ValueError(f"synchronous must be FULL, NORMAL or EXTRA, not {synchronous!r}")
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            # Reflections are personal: only this user may read the database (SQLite gives its
            # -wal and -shm files the same permissions).
            Path(self.path).touch(mode=0o600, exist_ok=True)
        self._lock = threading.RLock()
        self._db = sqlite3.connect(
            self.path, isolation_level=None, check_same_thread=False, timeout=busy_timeout_ms / 1000
        )
        try:
            self._db.row_factory = sqlite3.Row
            self._db.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
            if self.path != ":memory:":
                mode = self._enable_wal(busy_timeout_ms / 1000)
                if mode.lower() != "wal":
                    raise StoreError(f"{self.path}: could not switch to WAL mode (got {mode})")
            self._db.execute(f"PRAGMA synchronous = {synchronous}")
            self._db.execute("PRAGMA foreign_keys = ON")
            self._migrate()
        except BaseException:
            self._db.close()  # a store that failed to open holds no connection
            raise

    # -- plumbing --------------------------------------------------------------------------
    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: committed on success, rolled back on any error."""
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                try:
                    yield self._db
                except BaseException:
                    if self._db.in_transaction:  # SQLite may have rolled back already (full)
                        self._db.execute("ROLLBACK")
                    raise
                self._db.execute("COMMIT")
            except sqlite3.OperationalError as exc:
                if self._db.in_transaction:  # a COMMIT that failed leaves the transaction open
                    self._db.execute("ROLLBACK")
                unavailable = self._unavailable(exc)
                if unavailable is None:
                    raise
                raise unavailable from exc

    def _unavailable(self, exc: sqlite3.OperationalError) -> StorageUnavailable | None:
        """A write refused for a reason outside peerkit (locked, full, I/O error) as a
        :class:`StorageUnavailable` naming the file and the cause; None for anything else."""
        primary = getattr(exc, "sqlite_errorcode", 0) & 0xFF
        if primary in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
            public = "the database is locked by another program"
            advice = (
                "a backup, a second peerkit or a database tool holds a write transaction; "
                "close it or wait, then try again"
            )
        elif primary == sqlite3.SQLITE_FULL:
            public = "the disk or database is full"
            advice = "free some disk space (or raise the database's size limit), then try again"
        elif primary == sqlite3.SQLITE_IOERR:
            public = "the disk reported an I/O error"
            advice = "check the disk, then try again"
        else:
            return None
        log.error("%s: a write failed: %s", self.path, exc)
        return StorageUnavailable(
            f"nothing was saved: the database {self.path} cannot take writes: {public} "
            f"({exc}); {advice}",
            public=public,
        )

    def _enable_wal(self, timeout_s: float) -> str:
        """Switch the file to WAL mode and return the journal mode now in force.

        Converting a new file needs an exclusive lock, and when several connections open a new
        file at the same moment SQLite may refuse one of them at once ("database is locked")
        instead of calling the busy handler, to avoid a deadlock. Retry that until the busy
        timeout runs out.
        """
        deadline = time.monotonic() + timeout_s
        pause = 0.001
        while True:
            try:
                return self._db.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            except sqlite3.OperationalError as exc:
                busy = (exc.sqlite_errorcode & 0xFF) in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
                if not busy or time.monotonic() >= deadline:
                    raise
            time.sleep(pause)
            pause = min(pause * 2, 0.05)

    def _read(self, sql: str, params: Sequence = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._db.execute(sql, params).fetchall()

    def _migrate(self) -> None:
        with self._write() as db:
            current = db.execute("PRAGMA user_version").fetchone()[0]
            if current > SCHEMA_VERSION:
                raise SchemaTooNew(
                    f"{self.path}: the database has schema version {current}, newer than this "
                    f"peerkit understands ({SCHEMA_VERSION}); upgrade peerkit"
                )
            for version in range(current, SCHEMA_VERSION):
                for statement in MIGRATIONS[version]:
                    db.execute(statement)
                db.execute(f"PRAGMA user_version = {version + 1}")
                log.info("%s: schema upgraded to version %d", self.path, version + 1)

    @property
    def schema_version(self) -> int:
        return self._read("PRAGMA user_version")[0][0]

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # -- rooms -----------------------------------------------------------------------------
    def create_room(
        self, title: str = "", *, min_group: int = MIN_GROUP_SIZE, language: str = "en"
    ) -> RoomCreated:
        language = check_room_settings(title, min_group, language)
        key = new_secret()
        presenter, nonce, presenter_hash = new_presenter(key)

        def insert(code: str) -> None:
            with self._write() as db:
                db.execute(
                    "INSERT INTO rooms (code, title, key_hash, presenter_nonce, presenter_hash,"
                    " min_group, language, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        code,
                        title.strip(),
                        secret_hash(key),
                        nonce,
                        presenter_hash,
                        min_group,
                        language,
                        _now(),
                    ),
                )

        room = self.room(with_free_code(insert, sqlite3.IntegrityError))
        return RoomCreated(room, key, presenter)

    def _set_presenter(self, code: str, nonce: str | None, token_hash: str | None) -> None:
        room_id = self._room_row(code)["id"]
        with self._write() as db:
            db.execute(
                "UPDATE rooms SET presenter_nonce = ?, presenter_hash = ? WHERE id = ?",
                (nonce, token_hash, room_id),
            )

    def purge_room(self, code: str) -> None:
        room_id = self._room_row(code)["id"]
        with self._write() as db:
            db.execute("DELETE FROM rooms WHERE id = ?", (room_id,))

    def compact(self) -> None:
        """VACUUM (rebuild the file without free pages holding deleted rows), then move the
        write-ahead log into the file and truncate it, so no old page survives in either."""
        with self._lock:
            self._db.execute("VACUUM")
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    # -- questions -------------------------------------------------------------------------
    def add_question(
        self, code: str, question: Question, *, source: str | None = None, tag: str = ""
    ) -> QuestionRecord:
        room_id = self._room_row(code)["id"]
        body = json.dumps(question_to_dict(question))
        with self._write() as db:
            position = db.execute(
                "SELECT COALESCE(MAX(position), 0) + 1 FROM questions WHERE room_id = ?", (room_id,)
            ).fetchone()[0]
            cursor = db.execute(
                "INSERT INTO questions (room_id, position, source, tag, body, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (room_id, position, source, tag, body, _now()),
            )
        return self.question(cursor.lastrowid)

    def _update_question(
        self, question_id: int, sql: str, params: Sequence = (), *, make_current: bool = False
    ) -> QuestionRecord:
        with self._write() as db:
            changed = db.execute(
                # ``sql`` is one of this class's own fixed fragments; values go in as parameters.
                f"UPDATE questions SET {sql}, version = version + 1 WHERE id = ?",  # noqa: S608
                (*params, question_id),
            ).rowcount
            if not changed:
                raise question_not_found(question_id)
            if make_current:
                db.execute(
                    "UPDATE rooms SET current_question = ?"
                    " WHERE id = (SELECT room_id FROM questions WHERE id = ?)",
                    (question_id, question_id),
                )
        return self.question(question_id)

    def set_state(self, question_id: int, state: str) -> QuestionRecord:
        check_new_state(state)
        return self._update_question(
            question_id, "state = ?", (state,), make_current=state == "open"
        )

    def set_revealed(self, question_id: int, revealed: bool) -> QuestionRecord:
        return self._update_question(question_id, "revealed = ?", (1 if revealed else 0,))

    def reset(self, question_id: int) -> QuestionRecord:
        with self._write() as db:
            changed = db.execute(
                "UPDATE questions SET state = 'draft', revealed = 0, version = version + 1"
                " WHERE id = ?",
                (question_id,),
            ).rowcount
            if not changed:
                raise question_not_found(question_id)
            db.execute("DELETE FROM responses WHERE question_id = ?", (question_id,))
        return self.question(question_id)

    # -- participants and responses ---------------------------------------------------------
    def join(self, code: str, *, limit: int | None = None) -> Participant:
        row = self._room_row(code)
        token = new_secret()
        with self._write() as db:  # BEGIN IMMEDIATE: no other writer between count and insert
            if limit is not None:
                (count,) = db.execute(
                    "SELECT COUNT(*) FROM participants WHERE room_id = ?", (row["id"],)
                ).fetchone()
                if count >= limit:
                    raise RoomFull.at(limit)
            cursor = db.execute(
                "INSERT INTO participants (room_id, token_hash, joined_at) VALUES (?, ?, ?)",
                (row["id"], secret_hash(token), _now()),
            )
        return Participant(cursor.lastrowid, row["code"], token)

    def respond_many(
        self, items: Sequence[tuple[int, str, object]]
    ) -> list[ResponseRecord | StoreError]:
        with self._write() as db:
            return each_item(items, lambda item: self._respond(db, *item))

    def _respond(
        self, db: sqlite3.Connection, question_id: int, token: object, answer: object
    ) -> ResponseRecord:
        row = db.execute(
            "SELECT room_id, body, state FROM questions WHERE id = ?", (question_id,)
        ).fetchone()
        if row is None:
            raise question_not_found(question_id)
        participant = db.execute(
            "SELECT id FROM participants WHERE token_hash = ? AND room_id = ?",
            (secret_hash(check_token(token)), row["room_id"]),
        ).fetchone()
        if participant is None:
            raise unknown_token()
        value, moderation = accepted_answer(question_id, row["state"], row["body"], answer)
        at = _now()
        stored = db.execute(
            "INSERT INTO responses"
            " (question_id, participant_id, answer, moderation, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (question_id, participant_id) DO UPDATE SET"
            " answer = excluded.answer, moderation = excluded.moderation,"
            " updated_at = excluded.updated_at"
            " RETURNING *",
            (question_id, participant["id"], value, moderation, at, at),
        ).fetchone()
        db.execute("UPDATE questions SET version = version + 1 WHERE id = ?", (question_id,))
        return response_record(stored)

    def moderate(self, response_id: int, approved: bool) -> ResponseRecord:
        with self._write() as db:
            row = db.execute("SELECT * FROM responses WHERE id = ?", (response_id,)).fetchone()
            if row is None:
                raise response_not_found(response_id)
            if row["moderation"] is None:
                raise not_a_reflection(response_id)
            stored = db.execute(
                "UPDATE responses SET moderation = ? WHERE id = ? RETURNING *",
                ("approved" if approved else "rejected", response_id),
            ).fetchone()
            db.execute(
                "UPDATE questions SET version = version + 1 WHERE id = ?", (row["question_id"],)
            )
        return response_record(stored)
