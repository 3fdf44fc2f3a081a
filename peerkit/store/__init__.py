"""Persistence behind one interface: :class:`Store`. SQLite is the embedded default."""

from __future__ import annotations

from pathlib import Path

from .base import (
    Conflict,
    InvalidAnswer,
    NotFound,
    Participant,
    QuestionClosed,
    QuestionRecord,
    ResponseRecord,
    Room,
    RoomCreated,
    RoomNotFound,
    StorageUnavailable,
    Store,
    StoreError,
    Unauthorized,
)
from .sqlite import SQLiteStore

__all__ = [
    "Conflict",
    "InvalidAnswer",
    "NotFound",
    "Participant",
    "QuestionClosed",
    "QuestionRecord",
    "ResponseRecord",
    "Room",
    "RoomCreated",
    "RoomNotFound",
    "SQLiteStore",
    "StorageUnavailable",
    "Store",
    "StoreError",
    "Unauthorized",
    "open_store",
]


def open_store(location: str | Path) -> Store:
    """Open the store at ``location``: a SQLite file path, ``sqlite:///path`` or ``:memory:``."""
    text = str(location)
    if text.startswith("sqlite:///"):
        text = text[len("sqlite:///") :]
    elif "://" in text:
        scheme = text.split("://", 1)[0]
        raise ValueError(f"unsupported database URL scheme {scheme!r}; use a SQLite file path")
    return SQLiteStore(text)
