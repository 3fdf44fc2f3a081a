"""Faults: the service killed under load, a database locked by another program, a full disk.

* Random SIGKILLs: the real ``python -m peerkit serve`` process is killed and restarted several
  times while participants answer; no acknowledged answer may be lost (the larger run is
  ``benchmarks/bench_faults.py``, which this test drives at CI size).
* Locked database and full disk: the tornado app in-process on a store with a short busy
  timeout; a write the database cannot take is a clear 503 ``storage_unavailable`` with a
  Retry-After, never a 500, and the service keeps serving everything else.
"""

from __future__ import annotations

import http.client
import importlib.util
import json
import sqlite3
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from serving import serving

from peerkit.content import load_content
from peerkit.store import SQLiteStore, StorageUnavailable

REPO = Path(__file__).resolve().parent.parent
API = "/api/v1"


def _bench_faults() -> Any:
    spec = importlib.util.spec_from_file_location(
        "bench_faults", REPO / "benchmarks" / "bench_faults.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("bench_faults", module)  # its dataclasses look themselves up here
    spec.loader.exec_module(sys.modules["bench_faults"])
    return sys.modules["bench_faults"]


# --------------------------------------------------------------------------- random SIGKILLs


def test_acknowledged_responses_survive_random_sigkills(tmp_path: Path) -> None:
    bench = _bench_faults()
    result = bench.run_faults(
        tmp_path / "faults.db",
        tmp_path / "serve.log",
        participants=30,
        kills=3,
        responses=300,
        seconds=25,
        workers=6,
        seed=20240611,
    )
    print(json.dumps(result.as_dict()))
    assert result.refused == []
    assert result.kills == 3, result.as_dict()
    assert result.acknowledged >= 300, result.as_dict()
    assert result.checked > 0
    assert result.lost == [], result.lost  # responses lost: must be 0


# --------------------------------------------------------------------------- in-process service


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: Any


class InProcess:
    """The service in-process (see ``serving``), on a store whose busy timeout is short, so a
    locked database is reported quickly."""

    def __init__(self, db: Path) -> None:
        self.store = SQLiteStore(db, synchronous="NORMAL", busy_timeout_ms=200)
        self._running = serving(self.store, content=load_content(None))
        self.port = int(self._running.__enter__().rsplit(":", 1)[1])

    def stop(self) -> None:
        self._running.__exit__(None, None, None)

    def __call__(
        self, method: str, path: str, body: Any = None, secret: str | None = None
    ) -> Reply:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=15)
        headers = {"Content-Type": "application/json"}
        if secret is not None:
            headers["Authorization"] = f"Bearer {secret}"
        try:
            data = None if body is None else json.dumps(body).encode()
            conn.request(method, API + path, data, headers)
            resp = conn.getresponse()
            text = resp.read().decode()
        finally:
            conn.close()
        assert "Traceback" not in text, text
        assert resp.status != 500, text  # never an internal error
        return Reply(resp.status, resp.headers, json.loads(text))

    def ok(self, method: str, path: str, body: Any = None, secret: str | None = None) -> Any:
        reply = self(method, path, body, secret)
        assert reply.status in (200, 201), reply.body
        return reply.body


@pytest.fixture
def svc(tmp_path: Path) -> Iterator[InProcess]:
    service = InProcess(tmp_path / "faults.db")
    yield service
    service.stop()


@dataclass
class Scene:
    code: str
    key: str
    qid: int
    tokens: list[str]


def make_scene(svc: InProcess, participants: int = 3, **question: Any) -> Scene:
    room = svc.ok("POST", "/rooms", {"title": "Faults", "min_group": 1})
    code, key = room["code"], room["facilitator_key"]
    body = question or {"content_id": "housing-call"}
    qid = svc.ok("POST", f"/rooms/{code}/questions", body, key)["id"]
    svc.ok("POST", f"/questions/{qid}/open", secret=key)
    tokens = [svc.ok("POST", f"/rooms/{code}/join")["token"] for _ in range(participants)]
    return Scene(code, key, qid, tokens)


def assert_storage_unavailable(reply: Reply, *words: str) -> None:
    assert reply.status == 503, reply.body
    assert reply.headers.get("Content-Type", "").startswith("application/json")
    assert reply.headers.get("Retry-After") == "2"
    error = reply.body["error"]
    assert error["code"] == "storage_unavailable"
    message = error["message"]
    assert "nothing was saved" in message and "try again" in message, message
    for word in words:
        assert word in message, message
    assert ".db" not in message, message  # the server's file path stays on the server


# --------------------------------------------------------------------------- locked database


def test_a_locked_database_is_a_clear_503_and_the_answer_succeeds_once_released(
    svc: InProcess,
) -> None:
    scene = make_scene(svc)
    first, second = scene.tokens[0], scene.tokens[1]
    svc.ok("PUT", f"/questions/{scene.qid}/response", {"answer": "a"}, first)

    other = sqlite3.connect(svc.store.path, isolation_level=None, check_same_thread=False)
    try:
        other.execute("BEGIN IMMEDIATE")  # held for far longer than the store's 200 ms
        reply = svc("PUT", f"/questions/{scene.qid}/response", {"answer": "b"}, second)
        assert_storage_unavailable(reply, "locked")
        revote = svc("PUT", f"/questions/{scene.qid}/response", {"answer": "c"}, first)
        assert_storage_unavailable(revote, "locked")
        # Several participants at once: one batch fails, and every one of them gets the 503.
        replies: list[Reply] = []
        threads = [
            threading.Thread(
                target=lambda t=token: replies.append(
                    svc("PUT", f"/questions/{scene.qid}/response", {"answer": "b"}, t)
                )
            )
            for token in scene.tokens
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(15)
        assert len(replies) == len(scene.tokens)
        for each in replies:
            assert_storage_unavailable(each, "locked")
        # Other writes get the same answer; reads and the health check carry on.
        assert_storage_unavailable(svc("POST", f"/rooms/{scene.code}/join"), "locked")
        assert svc("GET", "/health").status == 200
        assert svc.ok("GET", f"/questions/{scene.qid}/response", secret=first)["answer"] == "a"
        results = svc.ok("GET", f"/questions/{scene.qid}/results", secret=scene.key)
        assert results["tally"]["total"] == 1
    finally:
        other.execute("ROLLBACK")
        other.close()

    # Released: the same PUT succeeds, and nothing refused earlier was stored.
    stored = svc.ok("PUT", f"/questions/{scene.qid}/response", {"answer": "b"}, second)
    assert stored["answer"] == "b"
    assert svc.ok("GET", f"/questions/{scene.qid}/response", secret=first)["answer"] == "a"
    assert svc.ok("GET", f"/questions/{scene.qid}/results", secret=scene.key)["tally"]["total"] == 2


def test_the_store_names_the_file_and_the_cause(tmp_path: Path) -> None:
    path = tmp_path / "locked.db"
    with SQLiteStore(path, busy_timeout_ms=100) as store:
        other = sqlite3.connect(path, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            with pytest.raises(StorageUnavailable) as caught:
                store.create_room("Locked")
        finally:
            other.execute("ROLLBACK")
            other.close()
        assert caught.value.code == "storage_unavailable"
        assert str(path) in caught.value.message and "locked" in caught.value.message
        assert store.create_room("Unlocked").room.title == "Unlocked"  # the store still works


# --------------------------------------------------------------------------- full disk


def test_a_full_disk_is_a_clear_503_and_reads_carry_on(svc: InProcess) -> None:
    scene = make_scene(
        svc,
        participants=60,
        question={
            "kind": "text",
            "id": "long-reflection",
            "prompt": "Say more",
            "max_length": 2000,
        },
    )
    with svc.store._lock:  # test-only: cap the file at its current size, as a full disk would
        pages = svc.store._db.execute("PRAGMA page_count").fetchone()[0]
        svc.store._db.execute(f"PRAGMA max_page_count = {pages}")
    full: Reply | None = None
    stored = 0
    for index, token in enumerate(scene.tokens):
        reply = svc("PUT", f"/questions/{scene.qid}/response", {"answer": f"{index} " * 600}, token)
        if reply.status == 503:
            full = reply
            break
        assert reply.status == 200, reply.body
        stored += 1
    assert full is not None, "the capped database never filled up"
    assert_storage_unavailable(full, "disk or database is full")

    # No crash and no crash loop: health, reads and results all still answer.
    for _ in range(3):
        assert svc("GET", "/health").status == 200
    assert svc.ok("GET", f"/rooms/{scene.code}")["code"] == scene.code
    results = svc.ok("GET", f"/questions/{scene.qid}/results", secret=scene.key)
    assert results["tally"]["total"] == stored
    again = svc("PUT", f"/questions/{scene.qid}/response", {"answer": "short"}, token)
    assert again.status in (200, 503), again.body

    # Space again: the same participant's answer goes in.
    with svc.store._lock:
        svc.store._db.execute("PRAGMA max_page_count = 1073741823")
    assert (
        svc.ok("PUT", f"/questions/{scene.qid}/response", {"answer": "short"}, token)["answer"]
        == "short"
    )
