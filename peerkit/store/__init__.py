"""Persistence behind one interface: :class:`Store`. SQLite is the embedded default;
PostgreSQL serves several service processes at once."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from ..config import environment
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
    RoomFull,
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
    "RoomFull",
    "RoomNotFound",
    "SQLiteStore",
    "StorageUnavailable",
    "Store",
    "StoreError",
    "Unauthorized",
    "database_location",
    "display_location",
    "open_store",
]

POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def database_location(given: str | Path | None, default: str | Path) -> str:
    """The database to use: ``given`` (``--db``), else ``$PEERKIT_DATABASE_URL``, else
    ``default``."""
    return str(given or environment().database_url or default)


def display_location(location: str | Path) -> str:
    """``location`` fit to print and log: a URL's password replaced by ``***``."""
    text = str(location)
    if "://" not in text:
        return text
    parts = urlsplit(text)
    netloc = parts.netloc
    if "@" in netloc:
        user, _, host = netloc.rpartition("@")
        if ":" in user:
            user = user.split(":", 1)[0] + ":***"
        netloc = f"{user}@{host}"
    query = "&".join(
        f"{name}=***" if name.lower() == "password" else f"{name}={value}" if sep else name
        for name, sep, value in (item.partition("=") for item in parts.query.split("&") if item)
    )
    return urlunsplit(parts._replace(netloc=netloc, query=query))


def open_store(location: str | Path) -> Store:
    """Open the store at ``location``: a SQLite file path, ``sqlite:///path`` or ``:memory:``,
    or a PostgreSQL database as ``postgresql://user:password@host:port/dbname``."""
    text = str(location)
    if text.startswith(POSTGRES_SCHEMES):
        try:
            from .postgres import PostgresStore
        except ModuleNotFoundError as exc:
            if not (exc.name or "").startswith("psycopg"):
                raise
            raise StoreError(
                "a PostgreSQL database needs the psycopg package: pip install 'peerkit[postgres]'"
            ) from None
        return PostgresStore(text)
    if text.startswith("sqlite:///"):
        text = text[len("sqlite:///") :]
    elif "://" in text:
        scheme = text.split("://", 1)[0]
        raise ValueError(
            f"unsupported database URL scheme {scheme!r}; use a SQLite file path or a "
            "postgresql:// URL"
        )
    return SQLiteStore(text)
