"""Self-paced mode: one person working through the notebooks alone, with no poll service.

Answers go to the same embedded SQLite store the poll service uses, in ``solo.db`` in the data
folder (``$PEERKIT_HOME``, else ``~/.local/share/peerkit``), so they survive re-running a
notebook or restarting its kernel, and the starting point asked in ``00-setup`` is there for the
before-and-after chart in ``06-wrap-up``. ``solo.json`` beside it (readable by its owner only)
names the room and the anonymous participant token of that one person. ``peerkit purge --solo``
deletes both files.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .client import LocalSession
from .config import data_home, environment, read_private, write_private
from .content import Content
from .store import Participant, SQLiteStore, StoreError

__all__ = ["purge_solo", "solo_files", "solo_session"]


def solo_files(home: Path | None = None) -> tuple[Path, Path]:
    """The database and the file naming its room: ``solo.db`` and ``solo.json``."""
    folder = home or data_home()
    return folder / "solo.db", folder / "solo.json"


def solo_session(
    *, content: Content | None = None, home: Path | None = None, language: str | None = None
) -> LocalSession:
    """This person's self-paced session: the one kept from last time, or a new one; shown in
    ``language``, by default ``$PEERKIT_LANGUAGE`` or else the content's language."""
    language = language or environment().language
    database, room_file = solo_files(home)
    database.parent.mkdir(parents=True, exist_ok=True)
    store = SQLiteStore(database)
    try:
        # Notebooks started at once (several open on Binder) agree on one room.
        with _exclusive(database.parent / "solo.lock"):
            saved = read_private(room_file)
            me: Participant | None = None
            if saved.get("room") and saved.get("token"):
                try:
                    me = Participant(
                        store.participant(saved["room"], saved["token"]),
                        saved["room"],
                        saved["token"],
                    )
                except StoreError:  # the database was deleted or replaced: start afresh
                    me = None
            session = LocalSession(store, content=content, resume=me, language=language)
            if me is None:
                write_private(room_file, {"room": session.room, "token": session._me.token})
    except BaseException:
        store.close()
        raise
    return session


@contextmanager
def _exclusive(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (where the system has ``fcntl``)."""
    try:
        import fcntl
    except ImportError:  # Windows: no lock; two first starts at once may make two rooms
        yield
        return
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def purge_solo(home: Path | None = None) -> list[Path]:
    """Delete the self-paced answers kept on this computer; returns the files deleted."""
    database, room_file = solo_files(home)
    deleted = []
    extra = (Path(f"{database}-wal"), Path(f"{database}-shm"), database.parent / "solo.lock")
    for path in (database, *extra, room_file):
        if path.exists():
            path.unlink()
            deleted.append(path)
    return deleted
