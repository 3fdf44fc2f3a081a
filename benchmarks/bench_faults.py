"""Fault benchmark for the poll service: SIGKILL it again and again under load, lose nothing.

Run it as a script (it is not a test)::

    python benchmarks/bench_faults.py [--participants 200] [--kills 20] [--seconds 60]
        [--workers 16] [--seed 20240611] [--db PATH]

It starts ``python -m peerkit serve --no-rate-limits`` as a real subprocess on 127.0.0.1 with a
fresh SQLite database (the default ``synchronous=FULL``), creates a room with four open
questions and joins the participants up front. Worker threads then answer continuously, each
over its own keep-alive connection, revoting at random. At random moments (a seeded
``random.Random``) the service is SIGKILLed and restarted on the same database and port, and the
workers carry on. For every (participant, question) the client keeps the last answer the service
acknowledged (HTTP 200) and any later attempts whose fate is unknown (the connection broke after
the request was sent). At the end every stored answer must be the last acknowledged one, or one
of those later unknown attempts: anything else is a lost response.

It prints participants, responses acknowledged, kills survived and responses lost (must be 0),
then one line of JSON. All traffic goes to 127.0.0.1; every loop is bounded in count and time.
``tests/test_faults.py`` runs the same code at CI size.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
API = "/api/v1"
#: content id -> the answers a participant picks from (choices by option id, scales 0-10)
QUESTIONS: tuple[tuple[str, str, tuple[Any, ...]], ...] = (
    ("housing-call", "", ("a", "b", "c")),
    ("late-night-texts", "", ("a", "b", "c")),
    ("autonomy-control", "pre", tuple(range(11))),
    ("autonomy-control", "post", tuple(range(11))),
)
REQUEST_TIMEOUT = 10.0
START_TIMEOUT = 30.0


class ServiceDown(Exception):
    """The service is not accepting connections (killed, not yet restarted)."""


# --------------------------------------------------------------------------- the service


class Service:
    """``python -m peerkit serve`` on one database, restartable on the same port."""

    def __init__(self, db: Path, log: Path, max_participants: int) -> None:
        self.db, self.log, self.max_participants = db, log, max_participants
        self.port = 0
        self.proc: subprocess.Popen | None = None
        self.starts = 0

    def start(self) -> None:
        env = {
            k: v for k, v in os.environ.items() if k not in ("PEERKIT_CREATE_KEY", "PEERKIT_DATA")
        }
        command = [
            sys.executable, "-m", "peerkit", "serve", "--host", HOST, "--port", str(self.port),
            "--db", str(self.db), "--no-rate-limits",
            "--max-participants", str(self.max_participants),
        ]  # fmt: skip
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            with self.log.open("ab") as err:
                proc = subprocess.Popen(
                    command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=err, text=True
                )
            line = _readline(proc, deadline)
            match = re.search(r"listening on http://127\.0\.0\.1:(\d+)", line)
            if match is not None:
                break
            proc.kill()
            proc.wait()
            if time.monotonic() >= deadline:
                raise RuntimeError(f"the service did not start: {line!r}\n{self.log.read_text()}")
            time.sleep(0.2)  # e.g. the old port not yet free: try again
        self.proc, self.port = proc, int(match.group(1))
        self.starts += 1

    def kill(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)
        assert self.proc.returncode == -signal.SIGKILL, self.proc.returncode
        if self.proc.stdout is not None:
            self.proc.stdout.close()

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()


def _readline(proc: subprocess.Popen, deadline: float) -> str:
    """The service's first line of output, or "" if none came before ``deadline``."""
    box: list[str] = []
    reader = threading.Thread(target=lambda: box.append(proc.stdout.readline()), daemon=True)
    reader.start()
    reader.join(max(0.0, deadline - time.monotonic()))
    return box[0] if box else ""


def request(
    port: int, method: str, path: str, body: Any = None, secret: str | None = None
) -> tuple[int, Any]:
    """One request on a fresh connection (setup and checks, not the load)."""
    conn = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT)
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers["Authorization"] = f"Bearer {secret}"
    try:
        data = None if body is None else json.dumps(body).encode()
        conn.request(method, API + path, data, headers)
        resp = conn.getresponse()
        return resp.status, json.loads(resp.read() or b"null")
    finally:
        conn.close()


def _ok(status: int, body: Any, want: int = 200) -> Any:
    if status != want:
        raise AssertionError(f"expected HTTP {want}, got {status}: {body}")
    return body


# --------------------------------------------------------------------------- the ledger


@dataclass
class Entry:
    """What the client knows about one participant's answer to one question."""

    acked: Any = None
    acked_at: float | None = None
    #: attempts after the last acknowledgement whose fate is unknown (may or may not be stored)
    unknown: list[Any] = field(default_factory=list)

    def allowed(self) -> list[Any]:
        return ([self.acked] if self.acked_at is not None else [None]) + self.unknown


@dataclass
class Result:
    participants: int
    questions: int
    acknowledged: int
    unknown: int
    refused: list[tuple[int, str]]
    kills: int
    restarts: int
    checked: int
    lost: list[tuple[str, Any, Any]]
    seconds: float

    def as_dict(self) -> dict:
        return {
            "participants": self.participants,
            "questions": self.questions,
            "responses_acknowledged": self.acknowledged,
            "responses_unknown": self.unknown,
            "responses_refused": len(self.refused),
            "kills_survived": self.kills,
            "answers_checked": self.checked,
            "responses_lost": len(self.lost),
            "seconds": round(self.seconds, 2),
        }


# --------------------------------------------------------------------------- the run


def run_faults(
    db: Path,
    log: Path,
    *,
    participants: int,
    kills: int,
    responses: int,
    seconds: float,
    workers: int,
    seed: int,
) -> Result:
    """Answer continuously while SIGKILLing and restarting the service ``kills`` times; stop
    after ``responses`` acknowledgements (and all kills) or ``seconds``, whichever is first;
    then compare every stored answer with the ledger."""
    started = time.monotonic()
    rng = random.Random(seed)
    service = Service(db, log, max_participants=max(participants, 1))
    service.start()
    try:
        status, room = request(service.port, "POST", "/rooms", {"title": "Faults"})
        code, key = _ok(status, room, 201)["code"], room["facilitator_key"]
        qids: list[tuple[int, tuple[Any, ...]]] = []
        for content_id, tag, answers in QUESTIONS:
            body = {"content_id": content_id, **({"tag": tag} if tag else {})}
            status, record = request(service.port, "POST", f"/rooms/{code}/questions", body, key)
            qid = _ok(status, record, 201)["id"]
            _ok(*request(service.port, "POST", f"/questions/{qid}/open", secret=key))
            qids.append((qid, answers))
        tokens = [
            _ok(*request(service.port, "POST", f"/rooms/{code}/join"), want=201)["token"]
            for _ in range(participants)
        ]

        ledger = {(token, qid): Entry() for token in tokens for qid, _ in qids}
        lock = threading.Lock()
        counts = {"acked": 0, "unknown": 0}
        refused: list[tuple[int, str]] = []
        stop = threading.Event()
        deadline = started + seconds

        def work(index: int, mine: list[str]) -> None:
            local = random.Random(seed * 1000 + index)
            conn: http.client.HTTPConnection | None = None
            while not stop.is_set() and time.monotonic() < deadline:
                token = local.choice(mine)
                qid, answers = local.choice(qids)
                value = local.choice(answers)
                entry = ledger[(token, qid)]
                body = json.dumps({"answer": value}).encode()
                headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
                sent = False
                try:
                    if conn is None:
                        conn = http.client.HTTPConnection(
                            HOST, service.port, timeout=REQUEST_TIMEOUT
                        )
                        try:
                            conn.connect()
                        except OSError as exc:
                            raise ServiceDown from exc
                    conn.request("PUT", f"{API}/questions/{qid}/response", body, headers)
                    sent = True
                    resp = conn.getresponse()
                    text = resp.read().decode()
                except (ServiceDown, OSError, http.client.HTTPException) as exc:
                    if conn is not None:
                        conn.close()
                    conn = None
                    if sent or not isinstance(exc, ServiceDown):
                        # the request may have reached the service: its fate is unknown
                        with lock:
                            entry.unknown.append(value)
                            counts["unknown"] += 1
                    time.sleep(0.02)
                    continue
                with lock:
                    if resp.status == 200 and json.loads(text)["answer"] == value:
                        entry.acked, entry.acked_at, entry.unknown = value, time.monotonic(), []
                        counts["acked"] += 1
                    else:
                        refused.append((resp.status, text))
            if conn is not None:
                conn.close()

        threads = [
            threading.Thread(target=work, args=(i, tokens[i::workers]), daemon=True)
            for i in range(min(workers, participants))
        ]
        for thread in threads:
            thread.start()

        kills_done = 0
        per_gap = max(1, responses // (kills + 1))
        for _ in range(kills):
            # let a random share of the next stretch of answers through, then kill mid-load
            with lock:
                target = counts["acked"] + rng.randint(max(1, per_gap // 2), per_gap)
            while time.monotonic() < deadline:
                with lock:
                    if counts["acked"] >= target:
                        break
                time.sleep(0.005)
            else:
                break
            time.sleep(rng.uniform(0, 0.05))
            service.kill()
            time.sleep(rng.uniform(0, 0.2))
            service.start()
            kills_done += 1
        while time.monotonic() < deadline:
            with lock:
                if counts["acked"] >= responses:
                    break
            time.sleep(0.01)
        stop.set()
        for thread in threads:
            thread.join(REQUEST_TIMEOUT + 5)
            if thread.is_alive():
                raise AssertionError("a worker did not stop")

        # Read every answer back from the (restarted) service and compare with the ledger.
        lost: list[tuple[str, Any, Any]] = []
        checked = 0
        for (token, qid), entry in ledger.items():
            if entry.acked_at is None and not entry.unknown:
                continue
            status, body = request(service.port, "GET", f"/questions/{qid}/response", None, token)
            stored = _ok(status, body)["answer"]
            checked += 1
            if stored not in entry.allowed():
                lost.append((f"question {qid}", entry.allowed(), stored))
        return Result(
            participants=participants,
            questions=len(qids),
            acknowledged=counts["acked"],
            unknown=counts["unknown"],
            refused=refused,
            kills=kills_done,
            restarts=service.starts - 1,
            checked=checked,
            lost=lost,
            seconds=time.monotonic() - started,
        )
    finally:
        service.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--participants", type=int, default=200)
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--responses", type=int, default=20_000, help="stop after this many acks")
    parser.add_argument("--seconds", type=float, default=60.0, help="stop after this long")
    parser.add_argument("--workers", type=int, default=16)
    parser.add_argument("--seed", type=int, default=20240611)
    parser.add_argument("--db", type=Path, default=None)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="peerkit-faults-") as tmp:
        db = args.db or Path(tmp) / "faults.db"
        result = run_faults(
            db,
            Path(tmp) / "serve.log",
            participants=args.participants,
            kills=args.kills,
            responses=args.responses,
            seconds=args.seconds,
            workers=args.workers,
            seed=args.seed,
        )
    figures = result.as_dict()
    print(f"participants:            {result.participants} ({result.questions} questions)")
    print(f"responses acknowledged:  {result.acknowledged}")
    print(f"fate unknown (in flight at a kill): {result.unknown}")
    print(f"refused (not 200):       {len(result.refused)}")
    print(f"kills survived:          {result.kills}")
    print(f"answers checked:         {result.checked}")
    print(f"responses lost:          {len(result.lost)}  (must be 0)")
    print(f"wall time:               {result.seconds:.1f} s")
    print(json.dumps(figures))
    return 0 if not result.lost and not result.refused else 1


if __name__ == "__main__":
    sys.exit(main())
