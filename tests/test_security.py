"""Hardening against abuse: the participant cap, rate limits, join-code guessing, constant-time
key checks, CORS, security headers and ``peerkit purge`` (see docs/security.md).

The rate-limit logic is tested on its own with a fake clock; the service is tested over real
HTTP on 127.0.0.1, in process (as in test_service.py), with small limits on a fake clock so the
tests neither sleep nor depend on timing.
"""

from __future__ import annotations

import hmac
import os
import re
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_service import API, REPO, Client, LiveService, http_request

from peerkit import cli
from peerkit.content import Content, load_content
from peerkit.service.base import PAGE_CSP
from peerkit.service.limits import (
    JOIN_RATE,
    RESPOND_RATE,
    UNKNOWN_CODE_RATE,
    Buckets,
    Limits,
    Rate,
    retry_after,
)
from peerkit.store import SQLiteStore
from peerkit.store import base as store_base


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


# --------------------------------------------------------------------------- the buckets alone


def test_bucket_allows_the_burst_then_refuses_with_the_wait() -> None:
    clock = Clock()
    buckets = Buckets(Rate(burst=3, per_second=0.5), clock=clock)
    assert [buckets.take("ip") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert buckets.take("ip") == pytest.approx(2.0)  # one token in 1 / 0.5 s
    assert buckets.take("other") == 0.0  # keys are independent
    clock.now += 1.0
    assert buckets.wait("ip") == pytest.approx(1.0)  # half a token so far; wait() takes nothing
    assert buckets.take("ip") == pytest.approx(1.0)  # a refusal takes nothing either
    clock.now += 1.0
    assert buckets.take("ip") == 0.0
    assert buckets.take("ip") > 0


def test_bucket_refills_only_up_to_the_burst() -> None:
    clock = Clock()
    buckets = Buckets(Rate(burst=2, per_second=1), clock=clock)
    buckets.take("ip")
    clock.now += 3600
    assert [buckets.take("ip") for _ in range(3)][:2] == [0.0, 0.0]
    assert buckets.take("ip") > 0


def test_buckets_stay_bounded_in_memory() -> None:
    clock = Clock()
    buckets = Buckets(Rate(burst=2, per_second=1), clock=clock, max_keys=100)
    for i in range(1000):
        buckets.take(f"token-{i}")
        clock.now += 0.01
    assert len(buckets) <= 100
    # A key still short of tokens is not forgotten by pruning while full ones exist.
    buckets.take("busy")
    buckets.take("busy")
    clock.now += 5  # every other bucket is full again
    for i in range(200):
        buckets.take(f"new-{i}")
    assert len(buckets) <= 100


def test_retry_after_is_whole_seconds_rounded_up() -> None:
    assert [retry_after(s) for s in (0.01, 0.5, 1.0, 1.2, 9.99, 10.0)] == [1, 1, 1, 2, 10, 10]


def test_rates_must_make_sense() -> None:
    for burst, per_second in ((0, 1), (1, 0), (5, -1)):
        with pytest.raises(ValueError):
            Rate(burst, per_second)


def test_default_join_limit_lets_a_whole_room_behind_one_router_join() -> None:
    """200 people on one Wi-Fi join at once; 500 (the room cap) within half a minute."""
    clock = Clock()
    joins = Buckets(JOIN_RATE, clock=clock)
    assert all(joins.take("wifi") == 0.0 for _ in range(200))
    joined, start = 200, clock.now
    while joined < 500:  # everyone else retries after the Retry-After they were given
        wait = joins.take("wifi")
        if wait:
            clock.now += retry_after(wait)
        else:
            joined += 1
    assert clock.now - start <= 30


def test_default_limits_numbers() -> None:
    """The numbers in docs/security.md."""
    assert (JOIN_RATE.burst, JOIN_RATE.per_second) == (300, 10)
    assert (RESPOND_RATE.burst, RESPOND_RATE.per_second) == (10, 2)
    assert (UNKNOWN_CODE_RATE.burst, UNKNOWN_CODE_RATE.per_second) == (10, 0.1)
    docs = (REPO / "docs" / "security.md").read_text(encoding="utf-8")
    for phrase in ("300", "10 a second", "2 a second", "one every 10 seconds"):
        assert phrase in docs


# --------------------------------------------------------------------------- over HTTP


@pytest.fixture(scope="module")
def content() -> Content:
    return load_content()


@pytest.fixture(scope="module")
def clock() -> Clock:
    return Clock()


@pytest.fixture(scope="module")
def limited(
    tmp_path_factory: pytest.TempPathFactory, content: Content, clock: Clock
) -> Iterator[LiveService]:
    """A service with tiny limits on a fake clock and a room cap of 5."""
    limits = Limits(
        join=Rate(burst=6, per_second=1),
        respond=Rate(burst=3, per_second=0.5),
        unknown_code=Rate(burst=3, per_second=0.1),
        clock=clock,
    )
    service = LiveService(
        tmp_path_factory.mktemp("limited") / "peerkit.db",
        content,
        max_participants=5,
        limits=limits,
    )
    yield service
    service.stop()


@pytest.fixture(scope="module")
def plain(tmp_path_factory: pytest.TempPathFactory, content: Content) -> Iterator[LiveService]:
    service = LiveService(tmp_path_factory.mktemp("plain") / "peerkit.db", content)
    yield service
    service.stop()


def refill(clock: Clock) -> None:
    clock.now += 3600  # every bucket is full again


def assert_rate_limited(reply_status: int, reply_headers: object, body: dict, seconds: int) -> None:
    assert reply_status == 429, body
    assert body["error"]["code"] == "rate_limited"
    assert f"{seconds} second" in body["error"]["message"]
    assert reply_headers.get("Retry-After") == str(seconds)  # type: ignore[attr-defined]


def test_a_full_room_refuses_joins_with_409_room_full(limited: LiveService, clock: Clock) -> None:
    refill(clock)
    room = limited.room("Cap")
    for _ in range(5):
        limited.join(room.code)
    status, body = limited("POST", f"/rooms/{room.code}/join")
    assert (status, body["error"]["code"]) == (409, "room_full")
    assert "full" in body["error"]["message"] and "5 participants" in body["error"]["message"]
    status, body = limited("GET", f"/rooms/{room.code}", secret=room.key)
    assert body["participants"] == 5  # the refused join stored nothing
    refill(clock)
    limited.join(limited.room("Another").code)  # other rooms are not affected


def test_joins_are_rate_limited_per_address(limited: LiveService, clock: Clock) -> None:
    refill(clock)
    rooms = [limited.room(f"Join {i}") for i in range(2)]
    for i in range(6):  # the burst, spread over rooms: the limit is per address, not per room
        limited.join(rooms[i % 2].code)
    reply = limited.raw("POST", f"{API}/rooms/{rooms[0].code}/join")
    assert_rate_limited(reply.status, reply.headers, reply.json, 1)
    clock.now += 1.0
    limited.join(rooms[0].code)


def test_answers_are_rate_limited_per_participant(limited: LiveService, clock: Clock) -> None:
    refill(clock)
    room = limited.room("Answers")
    qid = limited.opened(room, "housing-call")
    me, other = limited.join(room.code), limited.join(room.code)
    for option in "abc":
        limited.answered(qid, me, option)
    reply = limited.raw("PUT", f"{API}/questions/{qid}/response", b'{"answer": "d"}', secret=me)
    assert_rate_limited(reply.status, reply.headers, reply.json, 2)
    assert limited.own_answer(qid, me) == "c"  # the refused answer was not stored
    limited.answered(qid, other, "a")  # another participant is not affected
    clock.now += 2.0
    limited.answered(qid, me, "d")


def test_guessing_room_codes_is_slowed_down(limited: LiveService, clock: Clock) -> None:
    refill(clock)
    room = limited.room("Real")
    token = limited.join(room.code)
    guesses = iter(["QQQQQQ", "WWWWWW", "XXXXXX", "YYYYYY", "MMMMMM", "NNNNNN"])
    lookups = [
        ("GET", "/rooms/{}", None),
        ("POST", "/rooms/{}/join", None),
        ("GET", "/rooms/{}/current", token),
    ]
    for method, path, secret in lookups:  # the burst: plain 404s
        status, body = limited(method, path.format(next(guesses)), secret=secret)
        assert (status, body["error"]["code"]) == (404, "not_found")
    for method, path, secret in [*lookups, ("GET", "/rooms/{}/export.csv", room.key)]:
        reply = limited.raw(
            method,
            API + path.format(next(guesses, "PPPPPP")),
            secret=secret,
        )
        assert_rate_limited(reply.status, reply.headers, reply.json, 10)
    # Valid codes are not affected, from the same address, while the bucket is empty.
    status, body = limited("GET", f"/rooms/{room.code}")
    assert status == 200 and body["code"] == room.code
    status, body = limited("GET", f"/rooms/{room.code.lower()}/current", secret=token)
    assert status == 200
    limited.join(room.code)
    clock.now += 10.0
    status, _ = limited("GET", "/rooms/QQQQQQ")
    assert status == 404


def test_embedded_app_has_no_rate_limits_by_default(plain: LiveService) -> None:
    """make_app() without limits= is for embedding and tests; `peerkit serve` turns them on."""
    for _ in range(15):
        status, _ = plain("GET", "/rooms/QQQQQQ")
        assert status == 404


def test_facilitator_key_is_compared_in_constant_time(
    plain: LiveService, monkeypatch: pytest.MonkeyPatch
) -> None:
    room = plain.room("Timing")
    calls: list[tuple[str, str]] = []
    real = hmac.compare_digest

    def spy(a: str, b: str) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(store_base.hmac, "compare_digest", spy)
    status, _ = plain("GET", f"/rooms/{room.code}/questions", secret=room.key)
    assert status == 200
    wrong = room.key[:-1] + ("x" if room.key[-1] != "x" else "y")  # one character off
    status, _ = plain("GET", f"/rooms/{room.code}/questions", secret=wrong)
    assert status == 403
    assert len(calls) >= 2
    # What is compared is two SHA-256 hex digests: the stored hash and the presented key's.
    assert (store_base.secret_hash(room.key), store_base.secret_hash(room.key)) in calls
    assert all(re.fullmatch(r"[0-9a-f]{64}", s) for pair in calls for s in pair)
    assert store_base.secret_matches("a", store_base.secret_hash("a"))


def test_no_cors_headers_for_another_origin(plain: LiveService) -> None:
    room = plain.room("CORS")
    origin = {"Origin": "https://elsewhere.example"}
    for method, path in (
        ("GET", f"{API}/health"),
        ("GET", f"{API}/rooms/{room.code}"),
        ("POST", f"{API}/rooms/{room.code}/join"),
        ("GET", "/"),
    ):
        reply = http_request(plain.base, method, path, headers=origin)
        assert reply.status < 400
        assert not [h for h in reply.headers if h.lower().startswith("access-control-")]
    preflight = http_request(
        plain.base,
        "OPTIONS",
        f"{API}/rooms/{room.code}/join",
        headers={
            **origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )
    assert preflight.status == 405
    assert preflight.json["error"]["code"] == "method_not_allowed"
    assert not [h for h in preflight.headers if h.lower().startswith("access-control-")]


def test_security_headers_on_pages_and_api(plain: LiveService) -> None:
    room = plain.room("Headers")
    for path in ("/", f"/join/{room.code}"):
        reply = http_request(plain.base, "GET", path)
        assert reply.status == 200
        assert reply.headers["Content-Security-Policy"] == PAGE_CSP
        assert "frame-ancestors 'none'" in PAGE_CSP and "default-src 'none'" in PAGE_CSP
        assert reply.headers["X-Content-Type-Options"] == "nosniff"
        assert reply.headers["Referrer-Policy"] == "no-referrer"
        assert reply.headers["X-Frame-Options"] == "DENY"
    static = http_request(plain.base, "GET", "/static/app.js")
    assert static.headers["Content-Security-Policy"] == PAGE_CSP
    assert static.headers["X-Content-Type-Options"] == "nosniff"
    for method, path in (
        ("GET", f"{API}/health"),
        ("GET", f"{API}/rooms/{room.code}"),
        ("GET", f"{API}/nowhere"),  # errors too
        ("DELETE", f"{API}/health"),
    ):
        reply = http_request(plain.base, method, path)
        assert reply.headers["X-Content-Type-Options"] == "nosniff"
        assert reply.headers["Referrer-Policy"] == "no-referrer"
        assert reply.headers["X-Frame-Options"] == "DENY"
        assert reply.headers["Cache-Control"] == "no-store"


# --------------------------------------------------------------------------- peerkit serve


def test_serve_has_the_limits_and_the_cap_on(tmp_path: Path) -> None:
    """The real command: limits on by default, --max-participants honoured."""
    env = {k: v for k, v in os.environ.items() if k not in ("PEERKIT_CREATE_KEY", "PEERKIT_DATA")}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "peerkit",
            "serve",
            "--port",
            "0",
            "--db",
            str(tmp_path / "p.db"),
            "--max-participants",
            "2",
        ],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stdout is not None
        match = re.search(r"(http://127\.0\.0\.1:\d+)", proc.stdout.readline())
        assert match, "the service did not start"
        svc = Remote(match.group(1))
        room = svc.room("Serve")
        svc.join(room.code)
        svc.join(room.code)
        status, body = svc("POST", f"/rooms/{room.code}/join")
        assert (status, body["error"]["code"]) == (409, "room_full")
        statuses = [svc("GET", f"/rooms/QQQQQ{c}")[0] for c in "QWXYMNPRTUV"]
        assert statuses[:10] == [404] * 10 and statuses[10] == 429
    finally:
        proc.terminate()
        proc.wait(15)


class Remote(Client):
    def __init__(self, base: str) -> None:
        self.base = base


def test_serve_flags() -> None:
    parser = cli.build_parser()
    args = parser.parse_args(["serve"])
    assert (args.max_participants, args.no_rate_limits) == (500, False)
    args = parser.parse_args(["serve", "--max-participants", "40", "--no-rate-limits"])
    assert (args.max_participants, args.no_rate_limits) == (40, True)
    for bad in ("0", "-3", "many"):
        with pytest.raises(SystemExit):
            parser.parse_args(["serve", "--max-participants", bad])


# --------------------------------------------------------------------------- peerkit purge

SECRET_TEXT = "my-very-private-reflection-7f3a9c"


def answered_db(path: Path, content: Content) -> tuple[str, str]:
    """A database with two rooms, each with a reflection; returns (room to purge, other)."""
    store = SQLiteStore(path)
    try:
        codes = []
        for text in (SECRET_TEXT, "a reflection that stays"):
            code = store.create_room("Purge me").room.code
            record = store.add_question(code, content.question("rescuer-closing"))
            store.set_state(record.id, "open")
            store.respond_many([(record.id, store.join(code).token, text)])
            codes.append(code)
    finally:
        store.close()
    return codes[0], codes[1]


def file_bytes(path: Path) -> bytes:
    data = b""
    for suffix in ("", "-wal", "-shm", "-journal"):
        extra = Path(str(path) + suffix)
        if extra.exists():
            data += extra.read_bytes()
    return data


def test_purge_deletes_the_room_for_good(
    tmp_path: Path, content: Content, capsys: pytest.CaptureFixture
) -> None:
    db = tmp_path / "peerkit.db"
    code, other = answered_db(db, content)
    assert SECRET_TEXT.encode() in file_bytes(db)
    assert cli.main(["purge", code.lower(), "--db", str(db), "--yes"]) == 0
    assert code in capsys.readouterr().out
    assert SECRET_TEXT.encode() not in file_bytes(db)  # not even in free pages or the WAL
    assert b"a reflection that stays" in file_bytes(db)
    conn = sqlite3.connect(db)
    try:
        rooms = [r[0] for r in conn.execute("SELECT code FROM rooms")]
        texts = [r[0] for r in conn.execute("SELECT answer FROM responses")]
    finally:
        conn.close()
    assert rooms == [other]
    assert SECRET_TEXT not in " ".join(map(str, texts))
    assert (db.stat().st_mode & 0o777) == 0o600


def test_purge_asks_first(
    tmp_path: Path, content: Content, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "peerkit.db"
    code, _ = answered_db(db, content)
    monkeypatch.setattr("builtins.input", lambda prompt: "no")
    assert cli.main(["purge", code, "--db", str(db)]) == 1
    assert SECRET_TEXT.encode() in file_bytes(db)

    def eof(prompt: str) -> str:
        raise EOFError

    monkeypatch.setattr("builtins.input", eof)
    assert cli.main(["purge", code, "--db", str(db)]) == 1
    assert SECRET_TEXT.encode() in file_bytes(db)
    monkeypatch.setattr("builtins.input", lambda prompt: f" {code.lower()} ")
    assert cli.main(["purge", code, "--db", str(db)]) == 0
    assert SECRET_TEXT.encode() not in file_bytes(db)


def test_purge_refuses_unknown_rooms_and_files(
    tmp_path: Path, content: Content, capsys: pytest.CaptureFixture
) -> None:
    db = tmp_path / "peerkit.db"
    answered_db(db, content)
    assert cli.main(["purge", "QQQQQQ", "--db", str(db), "--yes"]) == 1
    assert "no room" in capsys.readouterr().err
    missing = tmp_path / "missing.db"
    assert cli.main(["purge", "QQQQQQ", "--db", str(missing), "--yes"]) == 1
    assert not missing.exists()  # no empty database is created by mistake
