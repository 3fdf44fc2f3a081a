"""Run the poll service in-process for tests (its own event loop in a background thread), and
call a running service's JSON API."""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import tornado.httpserver
import tornado.netutil

from peerkit.service import make_app
from peerkit.store import Store


@contextlib.contextmanager
def serving(store: Store, **app_kwargs: Any) -> Iterator[str]:
    """Serve ``store`` on a free loopback port; yields the base URL. Closes the store after."""
    sockets = tornado.netutil.bind_sockets(0, "127.0.0.1")
    port = sockets[0].getsockname()[1]
    started = threading.Event()
    holder: dict = {}

    def run() -> None:
        async def main() -> None:
            app = make_app(store, **app_kwargs)
            server = tornado.httpserver.HTTPServer(app)
            server.add_sockets(sockets)
            holder["stop"] = asyncio.Event()
            holder["loop"] = asyncio.get_running_loop()
            started.set()
            await holder["stop"].wait()
            server.stop()
            await app.peerkit.worker.close()

        asyncio.run(main())

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    assert started.wait(10), "the test service did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        holder["loop"].call_soon_threadsafe(holder["stop"].set)
        thread.join(10)


def call_json(url: str, method: str = "GET", body: object = None, secret: str | None = None) -> Any:
    """One JSON API call to ``url`` with an optional bearer ``secret``; any HTTP error fails the
    test with its status and body."""
    status, reply = call(url, method, body, secret)
    if status >= 400:
        raise AssertionError(f"{method} {url}: {status} {json.dumps(reply)}")
    return reply


def call(
    url: str, method: str = "GET", body: object = None, secret: str | None = None
) -> tuple[int, Any]:
    """One JSON API call: its status and JSON body, errors included."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Accept", "application/json")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    if secret:
        request.add_header("Authorization", f"Bearer {secret}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        raw = exc.read()
        try:
            return exc.code, json.loads(raw or b"null")
        except ValueError:
            return exc.code, raw.decode(errors="replace")
