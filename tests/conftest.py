"""Fixtures shared across test modules."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from pg import PostgresServer, postgres_server
from serving import serving

from peerkit.content import Content, load_content
from peerkit.store import SQLiteStore


@pytest.fixture(scope="session")
def content() -> Content:
    return load_content()


@dataclass
class LiveService:
    url: str
    store: SQLiteStore


@pytest.fixture
def live_service(tmp_path: Path, content: Content) -> Iterator[LiveService]:
    """The poll service on a free loopback port, on its own event loop in a thread."""
    store = SQLiteStore(tmp_path / "service.db")
    with serving(store, content=content) as url:
        yield LiveService(url, store)


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """One throwaway PostgreSQL server for the whole test run, started when first needed."""
    with postgres_server() as server:
        yield server


@pytest.fixture
def postgres_url(postgres: PostgresServer) -> Iterator[str]:
    """A new, empty database on the test server, deleted after the test."""
    name = postgres.create_database()
    yield postgres.url(name)
    postgres.drop_database(name)
