"""Load benchmark for the poll service: many participants answering one question at once.

Run it as a script (it is not a test)::

    python benchmarks/bench_service.py [--participants 500] [--rounds 20] [--db PATH]
        [--mode both|saturated|paced] [--rate 2000] [--pages] [--client raw|tornado]
        [--postgres] [--processes 1] [--compare-pages] [--idle-pages N]

It starts ``python -m peerkit serve`` as a real subprocess on 127.0.0.1 with a fresh SQLite
database, creates a room, adds and opens the ``housing-call`` choice question and joins the
participants. With ``--postgres`` the database is a new one on a throwaway PostgreSQL server
that the benchmark starts itself (``tests/pg.py``; or give ``--db postgresql://...``), and
``--processes N`` starts N service processes on that one database: participants are dealt
round-robin across them, while the facilitator long-polls the first process only, so what the
other processes receive reaches the facilitator through LISTEN/NOTIFY.

Then, in each phase, every participant answers ``--rounds`` times (a different option each
time) over its own keep-alive connection while a facilitator long-polls the results:

* saturated: each participant sends its next answer as soon as the last is acknowledged, so
  all participants have one answer in flight at all times (the most the service can take);
* paced: answers are due at a fixed total rate (``--rate``), spread evenly over participants;
  latency is measured from when an answer was due, so a service that falls behind is charged
  for the wait (no coordinated omission).

``--pages`` keeps every answering participant's page open too (a second connection each,
long-polling ``current`` 25 s at a time as the page does); ``--compare-pages`` runs the phases
four times in one run after an unmeasured warm-up, pages closed, open, open, closed, and prints
the ratios of each side's pooled figures. ``--idle-pages N`` holds
N more open pages of participants who never answer; at the end the facilitator opens and then
closes a second question and the benchmark times how long each takes to reach every one of
them (fan-out), and it reports the service's resident memory.

It prints throughput, acknowledgement latency and response -> facilitator latency per phase,
then one line of JSON, and stops the service. All traffic goes to 127.0.0.1; every loop is
bounded in count and in time. See docs/performance.md for the method behind each figure.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import contextlib
import json
import math
import os
import platform
import re
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

HOST = "127.0.0.1"
OPTIONS = ("a", "b", "c", "d", "e")
QUESTION = "housing-call"
REQUEST_TIMEOUT = 30.0  # seconds for any single request
POLL_TIMEOUT = 2  # the facilitator's long-poll ?timeout=, so its loop re-checks often
PAGE_TIMEOUT = 25  # the participant page's long-poll ?timeout=, as static/app.js asks
SETUP_CONCURRENCY = 100  # idle pages join and connect this many at a time (listen backlog)
MAX_POLLS = 200_000


# --------------------------------------------------------------------------- HTTP clients


class HTTPError(Exception):
    pass


class RawConnection:
    """A minimal HTTP/1.1 client over one keep-alive ``asyncio`` connection.

    Only what this benchmark needs: one request at a time, bodies framed by Content-Length
    (what tornado sends for finished responses), reconnect if the server closes.
    """

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.connects = 0

    async def _connect(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(HOST, self.port)
        self.connects += 1

    async def request(
        self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> tuple[int, bytes]:
        if self.writer is None or self.writer.is_closing():
            await self._connect()
        assert self.reader is not None and self.writer is not None
        lines = [f"{method} {path} HTTP/1.1", f"Host: {HOST}:{self.port}"]
        for name, value in (headers or {}).items():
            lines.append(f"{name}: {value}")
        if body or method in ("POST", "PUT"):
            lines.append("Content-Type: application/json")
            lines.append(f"Content-Length: {len(body)}")
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        status = int(status_line.split(" ", 2)[1])
        length = 0
        close = False
        chunked = False
        for line in header_lines:
            name, _, value = line.partition(":")
            name = name.strip().lower()
            if name == "content-length":
                length = int(value)
            elif name == "connection" and value.strip().lower() == "close":
                close = True
            elif name == "transfer-encoding" and "chunked" in value.lower():
                chunked = True
        if chunked:
            data = b""
            for _ in range(10_000):
                size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                chunk = await self.reader.readexactly(size + 2)
                if size == 0:
                    break
                data += chunk[:-2]
        else:
            data = await self.reader.readexactly(length) if length else b""
        if close:
            await self.close()
        return status, data

    async def events(self, path: str, token: str, on_view) -> None:
        """Read the server-sent events of ``path`` (a chunked reply), calling ``on_view`` with
        each data event's JSON, until the stream ends or the task is cancelled."""
        await self.close()
        await self._connect()
        assert self.reader is not None and self.writer is not None
        self.writer.write(
            (
                f"GET {path} HTTP/1.1\r\nHost: {HOST}:{self.port}\r\n"
                f"Authorization: Bearer {token}\r\nAccept: text/event-stream\r\n\r\n"
            ).encode("latin-1")
        )
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        if status != 200 or b"chunked" not in head.lower():
            raise HTTPError(f"GET {path} as a stream: HTTP {status}")
        data = buffer = b""
        while more := await self.reader.read(65536):  # whatever has arrived, in one await
            data += more
            while (eol := data.find(b"\r\n")) >= 0:  # every whole chunk in it
                size = int(data[:eol].split(b";")[0], 16)
                if size == 0:
                    return
                if len(data) < eol + size + 4:
                    break
                buffer += data[eol + 2 : eol + 2 + size]
                data = data[eol + size + 4 :]
            while b"\n\n" in buffer:
                event, buffer = buffer.split(b"\n\n", 1)
                if event.startswith(b"data: "):
                    on_view(json.loads(event[6:]))

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            try:
                await self.writer.wait_closed()
            except (ConnectionError, OSError):
                pass
            self.writer = None


class TornadoConnection:
    """The same interface over tornado's ``simple_httpclient`` (one new connection per request:
    tornado's client does not keep connections alive). For comparison with the raw client."""

    client = None

    def __init__(self, port: int) -> None:
        self.port = port
        self.connects = 0

    @classmethod
    def configure(cls, max_clients: int) -> None:
        from tornado.httpclient import AsyncHTTPClient

        AsyncHTTPClient.configure(
            "tornado.simple_httpclient.SimpleAsyncHTTPClient", max_clients=max_clients
        )
        cls.client = AsyncHTTPClient()

    async def request(
        self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> tuple[int, bytes]:
        from tornado.httpclient import HTTPClientError

        hdrs = dict(headers or {})
        if method in ("POST", "PUT"):
            hdrs["Content-Type"] = "application/json"
        self.connects += 1
        try:
            response = await self.client.fetch(
                f"http://{HOST}:{self.port}{path}",
                method=method,
                body=body if method in ("POST", "PUT") else None,
                headers=hdrs,
                request_timeout=REQUEST_TIMEOUT,
                connect_timeout=REQUEST_TIMEOUT,
            )
        except HTTPClientError as exc:
            if exc.response is None:
                raise
            return exc.code, exc.response.body or b""
        return response.code, response.body or b""

    async def close(self) -> None:
        pass


async def call(
    conn, method: str, path: str, data: dict | None = None, key: str | None = None
) -> tuple[int, dict]:
    body = json.dumps(data).encode() if data is not None else b""
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    status, raw = await asyncio.wait_for(conn.request(method, path, body, headers), REQUEST_TIMEOUT)
    try:
        payload = json.loads(raw) if raw else {}
    except ValueError:
        payload = {"raw": raw[:200].decode("utf-8", "replace")}
    return status, payload


async def expect(conn, method: str, path: str, data=None, key=None, status=200) -> dict:
    got, payload = await call(conn, method, path, data, key)
    if got != status:
        raise HTTPError(f"{method} {path}: HTTP {got}, expected {status}: {payload}")
    return payload


# --------------------------------------------------------------------------- the service


def process_cpu(pid: int) -> tuple[int | None, float]:
    """A process's parent and its user + system CPU seconds so far, from Linux /proc;
    (None, NaN) once it has ended."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None, math.nan
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def process_memory_mb(pid: int) -> tuple[float, float]:
    """A process's resident memory now and at its peak (VmRSS, VmHWM), in MB; NaN once ended."""
    values = {"VmRSS": math.nan, "VmHWM": math.nan}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            name, _, value = line.partition(":")
            if name in values:
                values[name] = int(value.split()[0]) / 1024
    except OSError:
        pass
    return round(values["VmRSS"], 1), round(values["VmHWM"], 1)


class Service:
    """``python -m peerkit serve`` in a subprocess, on a free loopback port."""

    def __init__(
        self, db_url: str, log: Path, profile: Path | None = None, participants: int = 500
    ) -> None:
        self.db_url, self.log_path, self.profile = db_url, log, profile
        self.participants = participants
        self.proc: subprocess.Popen | None = None
        self.port = 0

    def start(self, timeout: float = 60.0) -> None:
        env = dict(os.environ)
        env.pop("PEERKIT_CREATE_KEY", None)  # room creation from loopback needs no key
        self.log = open(self.log_path, "wb")  # closed in stop()
        # A load test is one client address sending far more than any person would: the rate
        # limits (docs/security.md) would refuse most of it, so they are off here.
        serve = ["serve", "--host", HOST, "--port", "0", "--db", self.db_url, "--no-rate-limits"]
        serve += ["--max-participants", str(max(500, self.participants))]
        if self.profile:  # the same service, run by this script under cProfile
            command = [sys.executable, __file__, "--serve-profiled", str(self.profile), *serve]
        else:
            command = [sys.executable, "-m", "peerkit", *serve]
        self.proc = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=self.log,
            env=env,
        )
        deadline = time.monotonic() + timeout
        assert self.proc.stdout is not None
        os.set_blocking(self.proc.stdout.fileno(), False)
        buffer = b""
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"the service exited with {self.proc.returncode}; see {self.log_path}"
                )
            chunk = self.proc.stdout.read() or b""
            buffer += chunk
            match = re.search(rb"listening on http://127\.0\.0\.1:(\d+)", buffer)
            if match:
                self.port = int(match.group(1))
                return
            time.sleep(0.02)
        raise RuntimeError(f"the service did not announce its port within {timeout:.0f} s")

    def memory_mb(self) -> tuple[float, float]:
        """Resident memory of the service process now and at its peak, in MB."""
        return process_memory_mb(self.proc.pid) if self.proc else (math.nan, math.nan)

    def cpu_seconds(self) -> float:
        """User + system CPU time of the service process so far (Linux /proc)."""
        if self.proc is None:
            return math.nan
        return process_cpu(self.proc.pid)[1]

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.log.close()


# --------------------------------------------------------------------------- measurement


@dataclass
class Sent:
    participant: int
    round: int
    t_due: float  # when the answer was due: its send time, or its slot in a paced phase
    t_send: float = math.nan
    t_ack: float = math.nan
    status: int = 0
    updated_at: str = ""
    error: str = ""


@dataclass
class Phase:
    sent: list[Sent] = field(default_factory=list)
    polls: list[tuple[float, int]] = field(default_factory=list)  # (time received, version)
    poll_errors: int = 0
    participants_done: asyncio.Event = field(default_factory=asyncio.Event)
    participants: int = 0
    page_polls: int = 0
    page_errors: int = 0
    pages_ready: set = field(default_factory=set)  # pages that have shown the room once
    expected_version: int = 0


@dataclass
class Services:
    """The service processes of one run, on one database."""

    items: list[Service]
    database_pid: int | None = None

    def cpu_seconds(self) -> float:
        return sum(service.cpu_seconds() for service in self.items)

    def database_cpu_seconds(self) -> float:
        """CPU time of the PostgreSQL server this benchmark started: the postmaster and every
        process it forked (connection backends, WAL writer, checkpointer); NaN otherwise."""
        if self.database_pid is None:
            return math.nan
        total = 0.0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            pid = int(stat.parent.name)
            parent, seconds = process_cpu(pid)
            if self.database_pid in (pid, parent):
                total += seconds
        return total

    @property
    def ports(self) -> list[int]:
        return [service.port for service in self.items]


@dataclass
class Setup:
    """Everything a phase needs: the room, the question and the open connections."""

    service: Services
    admin: object
    code: str
    key: str
    qid: int
    tokens: list[str]
    conns: list  # one per participant, for answers
    fac_conn: object
    pages: list  # one per participant when --pages: the participant page's long-poll
    time_limit: float
    streams: bool = True  # pages read event streams (else they long-poll)


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (no interpolation); NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


async def participant(
    conn,
    qid: int,
    index: int,
    token: str,
    first_round: int,
    rounds: int,
    phase: Phase,
    start: float,
    rate: float | None,
    deadline: float,
) -> None:
    """Answer ``rounds`` times in sequence on one connection: as fast as acknowledgements come
    back (``rate`` None), or each answer at its own slot of a schedule of ``rate`` answers per
    second across all participants."""
    path = f"/api/v1/questions/{qid}/response"
    headers = {"Authorization": f"Bearer {token}"}
    participants = phase.participants
    for k in range(rounds):
        if time.monotonic() > deadline:
            return
        r = first_round + k
        answer = OPTIONS[(index + r) % len(OPTIONS)]  # a different option every round
        body = json.dumps({"answer": answer}).encode()
        if rate is None:
            item = Sent(index, r, time.perf_counter())
        else:
            item = Sent(index, r, start + (k * participants + index) / rate)
            delay = item.t_due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
        item.t_send = time.perf_counter()
        phase.sent.append(item)
        try:
            status, raw = await asyncio.wait_for(
                conn.request("PUT", path, body, headers), REQUEST_TIMEOUT
            )
        except (TimeoutError, OSError, asyncio.IncompleteReadError, HTTPError, ValueError) as exc:
            item.t_ack = time.perf_counter()
            item.error = f"{type(exc).__name__}: {exc}"
            await conn.close()
            continue
        item.t_ack = time.perf_counter()
        item.status = status
        if status == 200:
            item.updated_at = json.loads(raw)["updated_at"]
        else:
            item.error = raw[:200].decode("utf-8", "replace")


async def facilitator(
    conn, qid: int, key: str, version: int, phase: Phase, deadline: float
) -> None:
    """Long-poll the results until it has seen every stored response (or time runs out)."""
    for _ in range(MAX_POLLS):
        if time.monotonic() > deadline:
            return
        if phase.participants_done.is_set() and version >= phase.expected_version:
            return
        try:
            status, data = await call(
                conn,
                "GET",
                f"/api/v1/questions/{qid}/results?after={version}&timeout={POLL_TIMEOUT}",
                key=key,
            )
        except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError) as exc:
            phase.poll_errors += 1
            print(f"facilitator poll failed: {exc!r}", file=sys.stderr)
            await conn.close()
            continue
        now = time.perf_counter()
        if status != 200:
            phase.poll_errors += 1
            print(f"facilitator poll: HTTP {status}: {data}", file=sys.stderr)
            await asyncio.sleep(0.05)
            continue
        version = data["version"]
        phase.polls.append((now, version))


async def page(conn, code: str, token: str, phase: Phase, deadline: float, stream: bool) -> None:
    """What the participant page does while open: read the room's event stream (``stream``),
    as static/app.js does, or long-poll it 25 s at a time, as it does where streams do not
    get through. Stopped (cancelled) when the phase ends."""
    if stream:

        def seen(view: dict) -> None:
            phase.page_polls += 1
            phase.pages_ready.add(token)

        try:
            await conn.events(f"/api/v1/rooms/{code}/current", token, seen)
        except (OSError, asyncio.IncompleteReadError, ValueError, HTTPError) as exc:
            phase.page_errors += 1
            print(f"page stream failed: {exc!r}", file=sys.stderr)
        return
    etag = None
    for _ in range(MAX_POLLS):
        if time.monotonic() > deadline or phase.participants_done.is_set():
            return
        wait = f"?after={etag}&timeout={PAGE_TIMEOUT}" if etag else ""
        try:
            status, data = await call(conn, "GET", f"/api/v1/rooms/{code}/current{wait}", key=token)
        except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError) as exc:
            phase.page_errors += 1
            print(f"page poll failed: {exc!r}", file=sys.stderr)
            await conn.close()
            continue
        phase.page_polls += 1
        if status != 200:
            phase.page_errors += 1
            await asyncio.sleep(0.05)
            continue
        etag = data["etag"]
        phase.pages_ready.add(token)


async def drive(setup: Setup, first_round: int, rounds: int, rate: float | None) -> dict:
    """One phase: every participant answers ``rounds`` times while the facilitator watches."""
    admin, conns, qid, key, service = setup.admin, setup.conns, setup.qid, setup.key, setup.service
    tokens, time_limit = setup.tokens, setup.time_limit
    before = await expect(admin, "GET", f"/api/v1/questions/{qid}/results", key=key)
    v0 = before["version"]
    phase = Phase(participants=len(conns))
    phase.expected_version = v0 + len(conns) * rounds  # refined once participants finish
    deadline = time.monotonic() + time_limit
    client_cpu0, server_cpu0 = time.process_time(), service.cpu_seconds()
    database_cpu0 = service.database_cpu_seconds()
    watcher = asyncio.create_task(facilitator(setup.fac_conn, qid, key, v0, phase, deadline))
    pages = [
        asyncio.create_task(page(c, setup.code, tokens[i], phase, deadline, setup.streams))
        for i, c in enumerate(setup.pages)
    ]
    # Pages are open before anyone answers, as in a room: each has shown the room once (its
    # first request, the one that looks up whose token it is, is behind it).
    for _ in range(6000 if pages else 0):
        if len(phase.pages_ready) >= len(pages):
            break
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.05 if not pages else 0.5)
    start = time.perf_counter()
    await asyncio.gather(
        *(
            participant(c, qid, i, tokens[i], first_round, rounds, phase, start, rate, deadline)
            for i, c in enumerate(conns)
        )
    )
    end = time.perf_counter()
    client_cpu, server_cpu = (
        time.process_time() - client_cpu0,
        service.cpu_seconds() - server_cpu0,
    )
    database_cpu = service.database_cpu_seconds() - database_cpu0
    ok = [s for s in phase.sent if s.status == 200]
    phase.expected_version = v0 + len(ok)
    phase.participants_done.set()
    try:
        await asyncio.wait_for(watcher, time_limit)
    except TimeoutError:
        pass
    for task in pages:  # a page waits up to 25 s for a change that will not come
        task.cancel()
    await asyncio.gather(*pages, return_exceptions=True)
    for c in setup.pages:  # cut mid-request: the next phase connects afresh
        await c.close()
    final = await expect(admin, "GET", f"/api/v1/questions/{qid}/results", key=key)

    errors = [s for s in phase.sent if s.status != 200]
    elapsed = end - start
    ack_ms = [(s.t_ack - s.t_due) * 1000 for s in ok]
    # Commit order: the server stamps updated_at inside the write transaction (ms resolution);
    # ties are broken by the order acknowledgements reached the client. The k-th stored
    # response raised the question's version to v0 + k.
    order = sorted(ok, key=lambda s: (s.updated_at, s.t_ack))
    poll_times = [t for t, _ in phase.polls]
    poll_versions = [v for _, v in phase.polls]
    fac_ms, fac_after_ack_ms, unseen = [], [], 0
    for position, s in enumerate(order, start=1):
        i = bisect.bisect_left(poll_versions, v0 + position)
        if i == len(poll_versions):
            unseen += 1
            continue
        fac_ms.append((poll_times[i] - s.t_due) * 1000)
        fac_after_ack_ms.append((poll_times[i] - s.t_ack) * 1000)
    last: dict[int, int] = {}
    for s in ok:
        last[s.participant] = max(s.round, last.get(s.participant, -1))
    expected_counts = dict.fromkeys(OPTIONS, 0)
    for index, r in last.items():
        expected_counts[OPTIONS[(index + r) % len(OPTIONS)]] += 1
    counts = final["tally"]["counts"]
    consistent = (
        final["version"] == v0 + len(ok)
        and not any(counts.get(o, 0) < n for o, n in expected_counts.items())
        and (first_round > 0 or all(counts.get(o, 0) == n for o, n in expected_counts.items()))
    )
    return {
        "mode": "saturated" if rate is None else f"paced {rate:g}/s",
        "pages_open": bool(setup.pages),
        "offered_rate": rate,
        "responses_sent": len(phase.sent),
        "responses_ok": len(ok),
        "errors": len(errors),
        "error_samples": sorted({f"{s.status} {s.error}"[:160] for s in errors})[:5],
        "elapsed_s": round(elapsed, 3),
        "responses_per_s": round(len(ok) / elapsed, 1) if elapsed > 0 else None,
        "ack_p50_ms": round(percentile(ack_ms, 50), 1),
        "ack_p99_ms": round(percentile(ack_ms, 99), 1),
        "ack_max_ms": round(max(ack_ms, default=math.nan), 1),
        "facilitator_p50_ms": round(percentile(fac_ms, 50), 1),
        "facilitator_p95_ms": round(percentile(fac_ms, 95), 1),
        "facilitator_after_ack_p95_ms": round(percentile(fac_after_ack_ms, 95), 1),
        "facilitator_polls": len(phase.polls),
        "facilitator_poll_errors": phase.poll_errors,
        "page_polls": phase.page_polls,
        "page_poll_errors": phase.page_errors,
        "unseen_by_facilitator": unseen,
        "client_cpu_s": round(client_cpu, 2),
        "server_cpu_s": round(server_cpu, 2),
        "database_cpu_s": None if math.isnan(database_cpu) else round(database_cpu, 2),
        "load_average_1min_after": round(os.getloadavg()[0], 2),
        "consistent": consistent,
        "_samples": {
            "ack_ms": ack_ms,
            "facilitator_ms": fac_ms,
            "responses": len(ok),
            "elapsed_s": elapsed,
        },
    }


async def bench(args: argparse.Namespace, services: Services) -> dict:
    load_before = round(os.getloadavg()[0], 2)
    Conn = RawConnection if args.client == "raw" else TornadoConnection
    if args.client == "tornado":
        TornadoConnection.configure(max_clients=args.participants + 10)
    ports = services.ports
    port = ports[0]  # the room's creator and the facilitator use the first process
    admin = Conn(port)
    room = await expect(admin, "POST", "/api/v1/rooms", {"title": "benchmark"}, status=201)
    code, key = room["code"], room["facilitator_key"]
    question = await expect(
        admin,
        "POST",
        f"/api/v1/rooms/{code}/questions",
        {"content_id": QUESTION},
        key,
        status=201,
    )
    qid = question["id"]
    await expect(admin, "POST", f"/api/v1/questions/{qid}/open", {}, key)

    # Participants are dealt round-robin across the service processes.
    conns = [Conn(ports[i % len(ports)]) for i in range(args.participants)]
    t0 = time.perf_counter()
    joined = await asyncio.gather(
        *(expect(c, "POST", f"/api/v1/rooms/{code}/join", status=201) for c in conns)
    )
    join_seconds = time.perf_counter() - t0
    tokens = [j["token"] for j in joined]

    streams = args.page_mode == "stream"
    idle = None
    if args.idle_pages:
        idle = IdlePages(Conn, ports, code, args.idle_pages, streams)
        await idle.open()
    memory_before = [service.memory_mb() for service in services.items]

    page_conns = [Conn(ports[i % len(ports)]) for i in range(args.participants)]
    setup = Setup(
        services, admin, code, key, qid, tokens, conns, Conn(port), [], args.time_limit, streams
    )
    # --compare-pages: the same phases with pages closed and open in one run, in the order
    # closed, open, open, closed after an unmeasured warm-up, so that neither side is always
    # the first (cold) or the last (most data stored) phase; compare() pools each side.
    variants = [False, True, True, False] if args.compare_pages else [args.pages]
    phases, first_round = [], 0
    if args.compare_pages:
        await drive(setup, first_round, 2, None)
        first_round += 2
    for pages_open in variants:
        setup.pages = page_conns if pages_open else []
        if args.mode in ("both", "saturated"):
            phases.append(await drive(setup, first_round, args.rounds, None))
            first_round += args.rounds
        if args.mode in ("both", "paced"):
            phases.append(await drive(setup, first_round, args.rounds, args.rate))
            first_round += args.rounds

    fan_out = []
    if idle is not None:  # every idle page sees the facilitator's next move
        memory_waiting = [service.memory_mb() for service in services.items]
        second = await expect(
            admin, "POST", f"/api/v1/rooms/{code}/questions", {"content_id": QUESTION}, key, 201
        )
        for action, seen in (
            ("open", lambda view: (view["question"] or {}).get("id") == second["id"]),
            ("close", lambda view: (view["question"] or {}).get("state") == "closed"),
        ):
            cpu0, client0 = services.cpu_seconds(), time.process_time()
            row = await idle.measure(
                action,
                seen,
                expect(admin, "POST", f"/api/v1/questions/{second['id']}/{action}", {}, key),
                args.time_limit,
            )
            row["service_cpu_s"] = round(services.cpu_seconds() - cpu0, 2)
            row["client_cpu_s"] = round(time.process_time() - client0, 2)
            fan_out.append(row)
        await idle.close()
    for c in [*conns, *page_conns, setup.fac_conn, admin]:
        await c.close()
    memory_after = [service.memory_mb() for service in services.items]
    result = {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "load_average_1min_before": load_before,
        "client": args.client,
        "database": "postgresql" if services.items[0].db_url.startswith("postgres") else "sqlite",
        "processes": len(ports),
        "participants": args.participants,
        "pages": bool(args.pages),
        "page_mode": args.page_mode,
        "rounds": args.rounds,
        "join_seconds": round(join_seconds, 3),
        "connections_opened": sum(c.connects for c in conns),
        "phases": phases,
        "comparison": compare(phases) if args.compare_pages else [],
        "idle_pages": args.idle_pages,
        "fan_out": fan_out,
        # (now, peak) resident memory per service process, in MB
        "service_memory_mb_before_phases": memory_before,
        "service_memory_mb_after": memory_after,
    }
    if idle is not None:
        result["service_memory_mb_idle_pages_waiting"] = memory_waiting
        result["idle_page_setup_s"] = idle.setup_seconds
    return result


def pooled(phases: list[dict], mode: str, pages_open: bool) -> dict:
    """One side of a comparison: percentiles over all its phases' samples, throughput over
    their total time."""
    side = [p["_samples"] for p in phases if p["mode"] == mode and p["pages_open"] is pages_open]
    elapsed = sum(s["elapsed_s"] for s in side)
    return {
        "ack_p99_ms": percentile([x for s in side for x in s["ack_ms"]], 99),
        "facilitator_p95_ms": percentile([x for s in side for x in s["facilitator_ms"]], 95),
        "responses_per_s": sum(s["responses"] for s in side) / elapsed if elapsed else 0,
    }


def compare(phases: list[dict]) -> list[dict]:
    """Pages open against pages closed, per mode: ratios of the figures that matter, each side
    pooled over its phases."""
    rows = []
    for mode in dict.fromkeys(p["mode"] for p in phases):
        closed, opened = pooled(phases, mode, False), pooled(phases, mode, True)
        ratios = {
            f"{name}_ratio": round(opened[key] / closed[key], 2) if closed[key] else None
            for name, key in (
                ("ack_p99", "ack_p99_ms"),
                ("facilitator_p95", "facilitator_p95_ms"),
                ("throughput", "responses_per_s"),
            )
        }
        rows.append(
            {
                "mode": mode,
                "closed": {k: round(v, 1) for k, v in closed.items()},
                "open": {k: round(v, 1) for k, v in opened.items()},
                **ratios,
            }
        )
    return rows


class IdlePages:
    """``--idle-pages N``: N more participants who only keep the page open (join, read the
    room, then long-poll it 25 s at a time), each on a connection of its own, dealt
    round-robin across the service processes. :meth:`measure` times how long a facilitator's
    action takes to reach every one of them."""

    def __init__(self, Conn, ports: list[int], code: str, count: int, streams: bool) -> None:
        self.code = code
        self.streams = streams
        self.conns = [Conn(ports[i % len(ports)]) for i in range(count)]
        self.tokens: list[str] = []
        self.etags: list[str | None] = [None] * count
        self.tasks: list[asyncio.Task] = []
        self.watch: tuple | None = None  # (test of a view, time of the action, seen times)
        self.errors = 0
        self.setup_seconds = math.nan

    async def open(self) -> None:
        started = time.perf_counter()
        gate = asyncio.Semaphore(SETUP_CONCURRENCY)

        async def first(i: int) -> None:
            async with gate:
                joined = await expect(
                    self.conns[i], "POST", f"/api/v1/rooms/{self.code}/join", status=201
                )
                self.tokens.append(joined["token"])
                view = await expect(
                    self.conns[i], "GET", f"/api/v1/rooms/{self.code}/current", key=joined["token"]
                )
                self.etags[i] = view["etag"]
                self.tasks.append(asyncio.create_task(self._wait(i, joined["token"])))

        await asyncio.gather(*(first(i) for i in range(len(self.conns))))
        await asyncio.sleep(1.0)  # the last long-polls settle in
        self.setup_seconds = round(time.perf_counter() - started, 1)
        print(f"{len(self.conns)} idle pages open in {self.setup_seconds} s", flush=True)

    def _seen(self, i: int, view: dict, now: float) -> None:
        self.etags[i] = view["etag"]
        if self.watch is not None:
            test, _, seen = self.watch
            if seen[i] is None and test(view):
                seen[i] = now

    async def _wait(self, i: int, token: str) -> None:
        conn = self.conns[i]
        path = f"/api/v1/rooms/{self.code}/current"
        if self.streams:
            try:
                await conn.events(path, token, lambda v: self._seen(i, v, time.perf_counter()))
            except (OSError, asyncio.IncompleteReadError, ValueError, HTTPError):
                self.errors += 1
            return
        for _ in range(MAX_POLLS):
            try:
                status, view = await call(
                    conn, "GET", f"{path}?after={self.etags[i]}&timeout={PAGE_TIMEOUT}", key=token
                )
            except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError):
                self.errors += 1
                await conn.close()
                continue
            now = time.perf_counter()
            if status != 200:
                self.errors += 1
                await asyncio.sleep(0.5)
                continue
            self._seen(i, view, now)

    async def measure(self, action: str, test, act, time_limit: float) -> dict:
        seen: list[float | None] = [None] * len(self.conns)
        t0 = time.perf_counter()
        self.watch = (test, t0, seen)
        await act
        deadline = time.monotonic() + time_limit
        while any(t is None for t in seen) and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        self.watch = None
        delays = [(t - t0) * 1000 for t in seen if t is not None]
        return {
            "action": action,
            "pages": len(seen),
            "pages_seen": len(delays),
            "fan_out_p50_ms": round(percentile(delays, 50), 1),
            "fan_out_p95_ms": round(percentile(delays, 95), 1),
            "fan_out_max_ms": round(max(delays, default=math.nan), 1),
            "page_errors": self.errors,
        }

    async def close(self) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        for conn in self.conns:
            await conn.close()


def report(result: dict) -> None:
    print(
        f"{result['database']}, {result['processes']} service process(es); "
        f"client {result['client']}; {result['participants']} participants joined in "
        f"{result['join_seconds']:.2f} s; {result['rounds']} answers each per phase; "
        f"{result['connections_opened']} participant connections opened; "
        f"load average before {result['load_average_1min_before']}"
    )
    for p in result["phases"]:
        rows = [
            ("responses sent", p["responses_sent"]),
            ("errors (non-200 or failed)", p["errors"]),
            ("elapsed", f"{p['elapsed_s']:.2f} s"),
            ("responses per second", p["responses_per_s"]),
            ("ack latency p50 / p99", f"{p['ack_p50_ms']} / {p['ack_p99_ms']} ms"),
            (
                "response -> facilitator p50 / p95",
                f"{p['facilitator_p50_ms']} / {p['facilitator_p95_ms']} ms",
            ),
            ("facilitator polls", p["facilitator_polls"]),
            ("participant page polls (errors)", f"{p['page_polls']} ({p['page_poll_errors']})"),
            ("CPU: client / service", f"{p['client_cpu_s']} / {p['server_cpu_s']} s"),
            ("load average (1 min) after", p["load_average_1min_after"]),
            ("final version and tally consistent", p["consistent"]),
        ]
        if p["database_cpu_s"] is not None:
            rows.insert(-2, ("CPU: PostgreSQL server", f"{p['database_cpu_s']} s"))
        print(f"-- {p['mode']}, pages {'open' if p['pages_open'] else 'closed'}")
        width = max(len(name) for name, _ in rows)
        for name, value in rows:
            print(f"   {name:<{width}}  {value}")
        for sample in p["error_samples"]:
            print(f"   error: {sample}")
    for row in result["comparison"]:
        c, o = row["closed"], row["open"]
        print(
            f"-- {row['mode']}, pooled: ack p99 {c['ack_p99_ms']} ms closed, "
            f"{o['ack_p99_ms']} ms open; responses per second {c['responses_per_s']} closed, "
            f"{o['responses_per_s']} open"
        )
        print(
            f"-- {row['mode']}: pages open / pages closed: ack p99 x{row['ack_p99_ratio']}, "
            f"response -> facilitator p95 x{row['facilitator_p95_ratio']}, "
            f"responses per second x{row['throughput_ratio']}"
        )
    for row in result["fan_out"]:
        print(
            f"-- {row['action']} reached {row['pages_seen']} of {row['pages']} idle pages: "
            f"p50 {row['fan_out_p50_ms']} ms, p95 {row['fan_out_p95_ms']} ms, "
            f"max {row['fan_out_max_ms']} ms; CPU: service {row['service_cpu_s']} s, "
            f"client {row['client_cpu_s']} s "
            f"({row['page_errors']} page errors)"
        )
    print(
        "service resident memory (now / peak, MB): before the phases "
        f"{result['service_memory_mb_before_phases']}"
        + (
            f"; idle pages waiting {result['service_memory_mb_idle_pages_waiting']}"
            if "service_memory_mb_idle_pages_waiting" in result
            else ""
        )
        + f"; at the end {result['service_memory_mb_after']}"
    )


def serve_profiled(out: str, serve_args: list[str]) -> int:
    """Run ``peerkit serve`` with cProfile on every thread (event loop and store thread);
    write the merged statistics to ``out`` when the service stops."""
    import cProfile
    import pstats
    import threading

    from peerkit.cli import main as peerkit_main

    profiles: list[cProfile.Profile] = []

    def start_in_thread(*_: object) -> None:
        profile = cProfile.Profile()
        profiles.append(profile)
        profile.enable()  # replaces this hook for the rest of the thread

    threading.setprofile(start_in_thread)
    main_profile = cProfile.Profile()
    main_profile.enable()
    try:
        return peerkit_main(serve_args)
    finally:
        main_profile.disable()
        stats = pstats.Stats(main_profile)
        for profile in profiles:
            stats.add(profile)
        stats.dump_stats(out)


def _is_url(db: str | None) -> bool:
    return bool(db) and "://" in db


def _raise_file_limit() -> None:
    """Thousands of participants need thousands of sockets: lift the soft limit to the hard."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--serve-profiled"]:
        return serve_profiled(argv[1], argv[2:])
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--participants", type=int, default=500)
    parser.add_argument(
        "--rounds", type=int, default=20, help="answers per participant in each phase (default 20)"
    )
    parser.add_argument(
        "--mode",
        choices=("both", "saturated", "paced"),
        default="both",
        help="saturated: every participant answers again as soon as acknowledged "
        "(throughput); paced: answers at --rate per second in total (latency "
        "at that load); both (default): saturated, then paced",
    )
    parser.add_argument(
        "--rate",
        type=float,
        default=2000.0,
        help="answers per second offered in the paced phase (default 2000)",
    )
    parser.add_argument(
        "--pages",
        action="store_true",
        help="also keep every participant's page open: a second connection per participant "
        "long-polling /rooms/{code}/current, as the participant web page does",
    )
    parser.add_argument(
        "--page-mode",
        choices=("stream", "poll"),
        default="stream",
        help="how open pages follow the room: stream (server-sent events, as the page does; "
        "default) or poll (long-polls, the page's fallback)",
    )
    parser.add_argument(
        "--compare-pages",
        action="store_true",
        help="run the phases twice in one run, pages closed and then open, and print the "
        "ratios (ack p99, response -> facilitator p95, responses per second)",
    )
    parser.add_argument(
        "--idle-pages",
        type=int,
        default=0,
        metavar="N",
        help="also hold N open pages of participants who never answer (each its own "
        "connection), and at the end time how long opening and closing a question takes to "
        "reach all of them; reports the service's resident memory",
    )
    parser.add_argument(
        "--db",
        help="database file or postgresql:// URL (default: a new SQLite file in a temporary "
        "folder, or with --postgres a new database on a throwaway PostgreSQL server)",
    )
    parser.add_argument(
        "--postgres",
        action="store_true",
        help="start a throwaway PostgreSQL server (tests/pg.py) and use a new database on it",
    )
    parser.add_argument(
        "--processes",
        type=int,
        default=1,
        help="service processes on the one database (default 1; more than 1 needs PostgreSQL)",
    )
    parser.add_argument(
        "--client",
        choices=("raw", "tornado"),
        default="raw",
        help="raw: keep-alive asyncio HTTP/1.1 (default); tornado: "
        "simple_httpclient, a new connection per request",
    )
    parser.add_argument(
        "--time-limit",
        type=float,
        default=120.0,
        help="seconds after which the response phase stops (default 120)",
    )
    parser.add_argument(
        "--profile-server",
        metavar="PATH",
        help="run the service under cProfile (all threads) and write its "
        "statistics to PATH (slows the service down; for investigation only)",
    )
    args = parser.parse_args(argv)
    if not 1 <= args.participants <= 5000 or not 1 <= args.rounds <= 1000:
        parser.error("--participants must be 1..5000 and --rounds 1..1000")
    if not 0 <= args.idle_pages <= 20_000:
        parser.error("--idle-pages must be 0..20000")
    pages = args.pages or args.compare_pages or args.idle_pages
    if pages and args.client == "tornado" and args.page_mode == "stream":
        parser.error("open pages with --client tornado need --page-mode poll")

    if args.processes < 1 or (args.processes > 1 and not (args.postgres or _is_url(args.db))):
        parser.error("--processes above 1 needs a shared database: --postgres or --db URL")
    _raise_file_limit()
    from peerkit.service.server import tune_gc
    from peerkit.store import display_location

    database_pid = None  # the PostgreSQL server this benchmark started, to count its CPU
    with contextlib.ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="peerkit-bench-")))
        if args.postgres and not args.db:
            sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
            from tests.pg import postgres_server

            server = stack.enter_context(postgres_server())
            db_url = server.url(server.create_database("bench"))
            database_pid = int((server.data / "postmaster.pid").read_text().split()[0])
        elif _is_url(args.db):
            db_url = args.db
        else:
            db = Path(args.db) if args.db else tmp / "bench.db"
            if db.exists():
                parser.error(f"{db} exists; the benchmark needs a new database file")
            db_url = str(db)
        profile = Path(args.profile_server).resolve() if args.profile_server else None
        services = Services(
            [
                Service(
                    db_url, tmp / f"service-{n}.log", profile, args.participants + args.idle_pages
                )
                for n in range(1, args.processes + 1)
            ],
            database_pid,
        )
        stack.callback(lambda: [service.stop() for service in services.items])
        for service in services.items:
            service.start()
            print(
                f"service pid {service.proc.pid} on http://{HOST}:{service.port}; "
                f"database {display_location(db_url)}",
                flush=True,
            )
        print(f"Python {platform.python_version()}; {os.cpu_count()} CPUs", flush=True)
        # The client holds as many connections as the service: without the service's garbage
        # collector settings its own full collections (100 ms and more with 2,000 pages open)
        # would show up as the service's latency.
        tune_gc()
        result = asyncio.run(bench(args, services))
    for phase in result["phases"]:
        del phase["_samples"]  # raw samples only feed compare(); the JSON line stays short
    report(result)
    print(json.dumps(result))
    good = all(p["errors"] == 0 and p["consistent"] for p in result["phases"])
    return 0 if good else 1


if __name__ == "__main__":
    sys.exit(main())
