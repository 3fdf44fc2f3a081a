"""Fixtures shared across test modules."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import tornado.httpserver
import tornado.netutil

from peerkit.content import Content, load_content
from peerkit.service import make_app
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
    sockets = tornado.netutil.bind_sockets(0, "127.0.0.1")
    port = sockets[0].getsockname()[1]
    started = threading.Event()
    holder: dict = {}

    def run() -> None:
        async def main() -> None:
            app = make_app(store, content=content)
            server = tornado.httpserver.HTTPServer(app)
            server.add_sockets(sockets)
            holder["stop"] = asyncio.Event()
            holder["loop"] = asyncio.get_running_loop()
            started.set()
            await holder["stop"].wait()
            server.stop()
            await app.peerkit.hub.close()

        asyncio.run(main())

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    assert started.wait(10)
    yield LiveService(f"http://127.0.0.1:{port}", store)
    holder["loop"].call_soon_threadsafe(holder["stop"].set)
    thread.join(10)
