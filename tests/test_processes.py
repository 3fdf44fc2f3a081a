"""Several ``peerkit serve`` processes sharing one PostgreSQL database, as behind a proxy that
spreads requests over them: a long-poll held by one process wakes when another process records
the change, and the room cap holds across them.

The processes are real (``python -m peerkit serve``), find the database in
``$PEERKIT_DATABASE_URL`` and run without rate limits, as every request here comes from one
address.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from pg import PostgresServer
from test_service import REPO, Remote, Room, check_pages, follow_pages, rapid_sequence

from peerkit.store import NotFound, open_store

#: How long a long-poll may wait; a wake-up must come long before.
POLL_TIMEOUT = 25
WOKEN_WITHIN = 5


def start_serve(url: str, log: Path, *args: str) -> tuple[subprocess.Popen, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PEERKIT_CREATE_KEY", "PEERKIT_DATA")}
    env["PEERKIT_DATABASE_URL"] = url
    command = [sys.executable, "-m", "peerkit", "serve", "--port", "0", "--no-rate-limits", *args]
    with log.open("ab") as err:
        proc = subprocess.Popen(
            command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=err, text=True
        )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    match = re.search(r"listening on (http://127\.0\.0\.1:\d+) \(database (\S+)\)", line)
    if match is None:
        proc.kill()
        proc.wait()
        raise AssertionError(f"unexpected first line {line!r}; log:\n{log.read_text()}")
    assert match.group(2) == url  # the database it was given, from the environment
    return proc, match.group(1)


def stop(procs: list[subprocess.Popen]) -> None:
    for proc in procs:
        proc.terminate()
    for proc in procs:
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="module")
def pair(
    postgres: PostgresServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Remote, Remote]]:
    """Two services, A and B, on one database; rooms take at most 5 participants."""
    name = postgres.create_database()
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    procs: list[subprocess.Popen] = []
    bases: list[str] = []
    try:
        for _ in range(2):
            proc, base = start_serve(postgres.url(name), log, "--max-participants", "5")
            procs.append(proc)
            bases.append(base)
        yield Remote(bases[0]), Remote(bases[1])
    finally:
        stop(procs)
        postgres.drop_database(name)


def poll_across(
    waiter: Remote, path: str, secret: str, change: Callable[[], object]
) -> dict[str, Any]:
    """Hold the long-poll ``path`` on ``waiter``, make ``change`` through another process, and
    return the poll's answer, checking that it came soon after the change."""
    with ThreadPoolExecutor(1) as pool:
        poll = pool.submit(waiter, "GET", path, None, secret, POLL_TIMEOUT + 15)
        time.sleep(1)  # the poll is waiting by now
        assert not poll.done()
        change()
        changed = time.monotonic()
        status, body = poll.result(timeout=POLL_TIMEOUT + 15)
        woken = time.monotonic()
    assert status == 200, body
    assert woken - changed < WOKEN_WITHIN, "the long-poll was not woken by the change"
    return body


def test_a_results_long_poll_wakes_when_another_process_records_a_response(
    pair: tuple[Remote, Remote],
) -> None:
    a, b = pair
    room = a.room("Across processes")
    qid = a.opened(room, "housing-call")
    token = a.join(room.code)
    version = b.results(qid, room.key)["version"]

    path = f"/questions/{qid}/results?after={version}&timeout={POLL_TIMEOUT}"
    body = poll_across(b, path, room.key, lambda: a.answered(qid, token, "a"))
    assert body["version"] > version and body["tally"]["total"] == 1


def test_a_participant_long_poll_wakes_when_another_process_opens_a_question(
    pair: tuple[Remote, Remote],
) -> None:
    a, b = pair
    room = a.room("Opened elsewhere")
    qid = a.add(room, "housing-call")["id"]
    token = b.join(room.code)
    status, first = b("GET", f"/rooms/{room.code}/current", secret=token)
    assert status == 200 and first["question"] is None

    path = f"/rooms/{room.code}/current?after={first['etag']}&timeout={POLL_TIMEOUT}"
    body = poll_across(b, path, token, lambda: a.act(room, qid, "open"))
    assert body["question"]["id"] == qid and body["question"]["state"] == "open"


@pytest.mark.parametrize("stream", [False, True], ids=["long-poll", "event-stream"])
def test_200_open_pages_on_two_processes_all_see_the_end_of_a_rapid_sequence(
    pair: tuple[Remote, Remote], stream: bool
) -> None:
    """Pages held on both processes, the facilitator acting on A, answers stored through both:
    every page ends on the final view, with its own answer, soon after the last change."""
    a, b = pair
    room = a.room("Rapid")
    tokens = [(a, b)[n % 2].join(room.code) for n in range(5)]
    pages = [tokens[i % len(tokens)] for i in range(199)] + [room.key]
    answers: dict[str, Any] = {}
    act = rapid_sequence(a, [a, b], room, tokens)
    final, last, seconds = follow_pages(
        [a.base, b.base], room.code, pages, lambda: answers.update(act()), stream=stream
    )
    check_pages(final, last, pages, answers)
    assert seconds < WOKEN_WITHIN, "some pages were not woken by the last change"


def test_the_room_cap_holds_across_processes(pair: tuple[Remote, Remote]) -> None:
    a, b = pair
    room: Room = a.room("Capped")
    start = threading.Barrier(20)

    def join(service: Remote) -> tuple[int, str]:
        start.wait()
        status, body = service("POST", f"/rooms/{room.code}/join")
        return status, body["token"] if status == 201 else body["error"]["code"]

    with ThreadPoolExecutor(20) as pool:
        outcomes = list(pool.map(join, [a, b] * 10))
    statuses = sorted(status for status, _ in outcomes)
    assert statuses == [201] * 5 + [409] * 15
    assert {code for status, code in outcomes if status == 409} == {"room_full"}
    for service in (a, b):
        status, body = service("GET", f"/rooms/{room.code}", secret=room.key)
        assert (status, body["participants"]) == (200, 5)


def test_purge_finds_the_database_in_the_environment_and_hides_its_password(
    postgres_url: str,
) -> None:
    with open_store(postgres_url) as store:
        code = store.create_room("To delete").room.code
        store.join(code)
        kept = store.create_room("To keep").room.code
    # trust authentication ignores the password, so it is only there to be hidden
    url = postgres_url.replace("postgres@", "postgres:s3cret@", 1)
    env = {**os.environ, "PEERKIT_DATABASE_URL": url}
    done = subprocess.run(
        [sys.executable, "-m", "peerkit", "purge", code, "--yes"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert f"deleted room {code} (To delete, 1 participant)" in done.stdout
    assert "postgres:***@" in done.stdout
    assert "s3cret" not in done.stdout + done.stderr
    with open_store(postgres_url) as store:
        assert store.room(kept).title == "To keep"
        with pytest.raises(NotFound):
            store.room(code)
