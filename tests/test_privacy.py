"""Privacy audit: nothing a participant can reach reveals another participant's answer or token.

Participant A answers with distinctive values (a reflection carrying a unique marker, option "e",
scale extremes); B and C answer otherwise; D writes a reflection the safety list flags. Then, as
B (and with no credentials at all), every endpoint, the page, its script and the notebook widgets
are read and searched for anything of A's or D's.

The same room rules (``peerkit/room.py``) hold for every kind of session: the suite at the end
runs one workshop through the session API against a self-paced (solo) session, a rehearsal and
the poll service, and checks what participant B's session is given in each.
"""

from __future__ import annotations

import csv
import http.client
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import ipywidgets as w
import pytest

from peerkit import LivePollChart, ScenarioVote
from peerkit.chartview import chart_view
from peerkit.client import ClientError, LocalSession, RemoteSession, Session
from peerkit.model import PASS, tally
from peerkit.rehearsal import RehearsalSession
from peerkit.solo import solo_session

API = "/api/v1"
MARKER_A = "secret-A-7f3a"
MARKER_D = "secret-D-9c2e"
TEXT_A = f"My own private thought {MARKER_A}"
TEXT_B = "B says: boundaries help everyone"
TEXT_C = "C says: ask what they need"
TEXT_D = f"Sometimes I think about suicide {MARKER_D}"
#: Keys no participant-facing JSON may hold anywhere: they would tie answers to people.
FORBIDDEN_KEYS = {"participant", "participants", "participant_id", "token", "answers", "flags"}


# --------------------------------------------------------------------------- HTTP


def request(
    base: str, method: str, path: str, body: Any = None, secret: str | None = None
) -> tuple[int, str]:
    url = urlsplit(base)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=15)
    headers = {"Content-Type": "application/json"} if body is not None else {}
    if secret is not None:
        headers["Authorization"] = f"Bearer {secret}"
    try:
        data = None if body is None else json.dumps(body).encode()
        conn.request(method, path, body=data, headers=headers)
        resp = conn.getresponse()
        return resp.status, resp.read().decode("utf-8")
    finally:
        conn.close()


def api(base: str, method: str, path: str, body: Any = None, secret: str | None = None) -> Any:
    status, text = request(base, method, API + path, body, secret)
    assert status in (200, 201), (method, path, status, text)
    return json.loads(text)


@dataclass
class Room:
    base: str
    code: str
    key: str
    tokens: dict[str, str]
    qids: dict[str, int]
    #: Every body B (or nobody) received: (label, status, text).
    seen: list[tuple[str, int, str]] = field(default_factory=list)

    def fac(self, method: str, path: str, body: Any = None) -> Any:
        return api(self.base, method, path, body, self.key)

    def answer(self, who: str, name: str, value: Any) -> None:
        api(
            self.base,
            "PUT",
            f"/questions/{self.qids[name]}/response",
            {"answer": value},
            self.tokens[who],
        )

    def as_b(self, path: str, label: str | None = None, *, auth: bool = True) -> tuple[int, Any]:
        """GET ``path`` as participant B (or with no credentials); every body is kept."""
        page = path == "/" or path.startswith(("/join/", "/static/"))
        full = path if page else API + path
        status, text = request(self.base, "GET", full, secret=self.tokens["B"] if auth else None)
        self.seen.append((label or f"{'B' if auth else 'anon'} GET {path}", status, text))
        try:
            return status, json.loads(text)
        except ValueError:
            return status, text


def make_room(base: str) -> Room:
    created = api(base, "POST", "/rooms", {"title": "Privacy audit", "min_group": 3})
    code, key = created["code"], created["facilitator_key"]
    tokens = {who: api(base, "POST", f"/rooms/{code}/join")["token"] for who in "ABCD"}
    qids = {}
    for name, cid, tag in (
        ("choice", "housing-call", ""),
        ("pre", "autonomy-control", "pre"),
        ("post", "autonomy-control", "post"),
        ("text", "rescuer-closing", ""),
    ):
        body = {"content_id": cid, "tag": tag}
        qids[name] = api(base, "POST", f"/rooms/{code}/questions", body, key)["id"]
    return Room(base, code, key, tokens, qids)


def walk_keys(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [k for k in value] + [k2 for v in value.values() for k2 in walk_keys(v)]
    if isinstance(value, list):
        return [k for v in value for k in walk_keys(v)]
    return []


ANSWERS = {  # who -> question -> answer; A's are the distinctive ones
    "A": {"choice": "e", "pre": 9, "post": 1, "text": TEXT_A},
    "B": {"choice": "a", "pre": 3, "post": 5, "text": TEXT_B},
    "C": {"choice": "b", "pre": 4, "post": 6, "text": TEXT_C},
    "D": {"text": TEXT_D},
}


def everything_b_can_reach(room: Room, phase: str) -> None:
    """Call every endpoint reachable with B's token and with no credentials."""
    code = room.code
    room.as_b(f"/rooms/{code}", f"{phase}: anon room", auth=False)
    status, _ = room.as_b(f"/rooms/{code}", f"{phase}: B room")
    assert status == 403  # room details with a secret are the facilitator's
    assert room.as_b(f"/rooms/{code}/questions", f"{phase}: B questions")[0] == 403
    assert room.as_b(f"/rooms/{code}/current", f"{phase}: anon current", auth=False)[0] == 401
    status, current = room.as_b(f"/rooms/{code}/current?timeout=0", f"{phase}: B current")
    assert status == 200
    room.as_b(f"/rooms/{code}/current?after={current['etag']}&timeout=0", f"{phase}: B current2")
    room.as_b(f"/rooms/{code}/current?after=stale&timeout=0", f"{phase}: B current3")
    for name, qid in room.qids.items():
        room.as_b(f"/questions/{qid}", f"{phase}: B question {name}")
        room.as_b(f"/questions/{qid}", f"{phase}: anon question {name}", auth=False)
        room.as_b(f"/questions/{qid}/results", f"{phase}: B results {name}")
        room.as_b(f"/questions/{qid}/results?after=0&timeout=0", f"{phase}: B results-after {name}")
        room.as_b(f"/questions/{qid}/results", f"{phase}: anon results {name}", auth=False)
        status, mine = room.as_b(f"/questions/{qid}/response", f"{phase}: B response {name}")
        assert status == 200 and mine["answer"] in (None, ANSWERS["B"][name]), mine
        room.as_b(f"/questions/{qid}/response", f"{phase}: anon response {name}", auth=False)
    room.as_b(f"/rooms/{code}/pre-post/autonomy-control", f"{phase}: B pre-post")
    room.as_b(f"/rooms/{code}/pre-post/autonomy-control", f"{phase}: anon pre-post", auth=False)
    for rows in ("totals", "responses"):
        status, _ = room.as_b(f"/rooms/{code}/export.csv?rows={rows}", f"{phase}: B export {rows}")
        assert status == 403
        status, _ = room.as_b(
            f"/rooms/{code}/export.csv?rows={rows}", f"{phase}: anon export {rows}", auth=False
        )
        assert status == 401
    for page in ("/", f"/join/{code}", "/static/app.js", "/static/app.css"):
        status, _ = room.as_b(page, f"{phase}: page {page}")
        assert status == 200, page


def assert_nothing_of_a(room: Room) -> None:
    secrets = {f"token {w}": room.tokens[w] for w in "ACD"} | {"facilitator key": room.key}
    for label, _status, text in room.seen:
        for what, secret in secrets.items():
            assert secret not in text, f"{what} leaked in {label}"
        for marker in (MARKER_A, MARKER_D, "suicide"):
            assert marker not in text, f"{marker!r} leaked in {label}: {text[:300]}"
        try:
            body = json.loads(text)
        except ValueError:
            continue
        bad = FORBIDDEN_KEYS & set(walk_keys(body))
        assert not bad, f"{label} holds {bad}: {text[:300]}"


def reflection_ids(room: Room) -> dict[str, int]:
    results = room.fac("GET", f"/questions/{room.qids['text']}/results")
    return {r["text"]: r["id"] for r in results["reflections"]}


def run_workshop(room: Room) -> None:
    """Each question: open, A and B answer, reveal (below the minimum), audit; then C (and D)."""
    for name in ("choice", "pre", "post", "text"):
        qid = room.qids[name]
        room.fac("POST", f"/questions/{qid}/open")
        room.answer("A", name, ANSWERS["A"][name])
        room.answer("B", name, ANSWERS["B"][name])
        room.fac("POST", f"/questions/{qid}/reveal")
        # Below min_group (2 < 3), though revealed: B sees no tally, no reflections.
        status, results = room.as_b(f"/questions/{qid}/results", f"below: results {name}")
        assert status == 200 and results["visible_to_participants"] is False
        assert "tally" not in results and "reflections" not in results, results
        _, current = room.as_b(f"/rooms/{room.code}/current?timeout=0", f"below: current {name}")
        assert current["question"]["id"] == qid
        assert current["results"] is None, current
        assert current["your_answer"] == ANSWERS["B"][name]
        if name == "pre":
            status, _ = room.as_b(f"/rooms/{room.code}/pre-post/autonomy-control", "below: pp")
            assert status == 403
        everything_b_can_reach(room, f"below {name}")
        room.answer("C", name, ANSWERS["C"][name])
        if name == "text":
            room.answer("D", name, TEXT_D)
            ids = reflection_ids(room)
            assert set(ids) == {TEXT_A, TEXT_B, TEXT_C, TEXT_D}  # the facilitator sees all
            room.fac("POST", f"/responses/{ids[TEXT_B]}/approve")
            room.fac("POST", f"/responses/{ids[TEXT_C]}/approve")
            status, text = request(
                room.base, "POST", f"{API}/responses/{ids[TEXT_D]}/approve", secret=room.key
            )
            assert status == 409 and "flagged" in text, (status, text)
            # A participant may not moderate at all.
            status, _ = request(
                room.base,
                "POST",
                f"{API}/responses/{ids[TEXT_A]}/approve",
                secret=room.tokens["B"],
            )
            assert status == 403
            room.fac("POST", f"/questions/{qid}/hide")
            room.fac("POST", f"/questions/{qid}/reveal")
        # At or above min_group and revealed: B sees the aggregate and only the aggregate.
        given = [ANSWERS[w][name] for w in "ABCD" if name in ANSWERS[w]]
        group = tally(room_question(name), given)
        expected = group.as_dict()
        _, results = room.as_b(f"/questions/{qid}/results", f"above: results {name}")
        assert results["visible_to_participants"] is True
        assert results["tally"] == expected
        # Pages learn of other people's answers within a second (live.py gathers them): wait
        # for the view after the one seen below the minimum.
        seen = current["etag"]
        _, current = room.as_b(
            f"/rooms/{room.code}/current?after={seen}&timeout=5", f"above: current {name}"
        )
        assert current["your_answer"] == ANSWERS["B"][name]
        shown = {k: v for k, v in current["results"].items() if k != "reflections"}
        view = shown.pop("view", None)  # the chart of the aggregate, and nothing more
        assert shown == expected
        if view is not None:
            assert view == chart_view(room_question(name), group)
        if name == "text":
            assert results["reflections"] == [TEXT_B, TEXT_C]
            assert current["results"]["reflections"] == [TEXT_B, TEXT_C]
        everything_b_can_reach(room, f"above {name}")
    status, pp = room.as_b(f"/rooms/{room.code}/pre-post/autonomy-control", "above: pre-post")
    assert status == 200 and set(pp["comparison"]) == {
        "pre",
        "post",
        "median_shift",
        "paired",
        "moved",
    }
    assert isinstance(pp["comparison"]["paired"], int)  # a count, never the pairs


def room_question(name: str) -> Any:
    from peerkit.content import load_content

    cid = {
        "choice": "housing-call",
        "pre": "autonomy-control",
        "post": "autonomy-control",
        "text": "rescuer-closing",
    }[name]
    return load_content().question(cid)


# --------------------------------------------------------------------------- tests


def test_participant_reaches_nothing_of_another(live_service) -> None:
    room = make_room(live_service.url)
    run_workshop(room)
    assert len(room.seen) > 200
    # The audit can fail: the facilitator's own view does hold A's text and D's.
    fac_results = room.fac("GET", f"/questions/{room.qids['text']}/results")
    texts = json.dumps(fac_results)
    assert MARKER_A in texts and MARKER_D in texts
    assert_nothing_of_a(room)


def test_facilitator_export_holds_no_tokens(live_service) -> None:
    room = make_room(live_service.url)
    run_workshop(room)
    status, per_response = request(
        room.base, "GET", f"{API}/rooms/{room.code}/export.csv?rows=responses", secret=room.key
    )
    assert status == 200
    status, totals = request(
        room.base, "GET", f"{API}/rooms/{room.code}/export.csv?rows=totals", secret=room.key
    )
    assert status == 200
    for csv_text in (per_response, totals):
        for secret in (*room.tokens.values(), room.key):
            assert secret not in csv_text
    rows = list(csv.DictReader(io.StringIO(per_response)))
    assert len(rows) == 3 * 3 + 4
    assert {r["participant"] for r in rows} == {"1", "2", "3", "4"}
    assert MARKER_A in per_response  # the facilitator's own record keeps the text
    for text in (TEXT_A, TEXT_B, TEXT_C, TEXT_D, MARKER_A, MARKER_D):
        assert text not in totals


def widget_text(widget: Any) -> str:
    """Every string a widget tree shows: values, descriptions, option labels, captions."""
    parts: list[str] = []
    for attr in ("value", "description", "tooltip", "placeholder"):
        value = getattr(widget, attr, None)
        if isinstance(value, str):
            parts.append(value)
    options = getattr(widget, "options", ())
    if isinstance(options, (tuple, list)):
        parts.extend(str(option) for option in options)
    for name in getattr(widget, "keys", ()):  # every synced trait (a chart's view model, ...)
        value = getattr(widget, name, None)
        if name not in ("children", "layout", "style") and isinstance(value, (str, dict, list)):
            parts.append(value if isinstance(value, str) else json.dumps(value, default=str))
    for child in getattr(widget, "children", ()) or ():
        if isinstance(child, w.Widget):
            parts.append(widget_text(child))
    return "\n".join(parts)


def test_participant_widgets_show_nothing_of_another(live_service, content) -> None:
    room = make_room(live_service.url)
    b = RemoteSession(room.base, room.code, token=room.tokens["B"], content=content)
    qid = room.qids["choice"]
    room.fac("POST", f"/questions/{qid}/open")
    room.answer("A", "choice", "e")
    room.answer("B", "choice", "a")
    room.fac("POST", f"/questions/{qid}/reveal")
    assert b.results(qid).tally is None  # below the minimum
    chart = LivePollChart(b, "housing-call", follow=False)
    vote = ScenarioVote(b, "housing-call")
    chart.refresh()
    vote.refresh()
    assert chart.tally is None
    assert vote.submitted == "a" and vote.options.value == "a"
    room.answer("C", "choice", "b")
    chart.refresh()
    assert chart.tally == tally(content.question("housing-call"), ["e", "a", "b"])
    assert "Your answer is saved" in widget_text(vote)  # the search does reach the widget text
    assert "Group leans" in widget_text(chart)
    for who in "ACD":
        assert room.tokens[who] not in widget_text(chart) + widget_text(vote)

    # The text question: A's unapproved reflection never reaches B's widgets.
    tid = room.qids["text"]
    room.fac("POST", f"/questions/{tid}/open")
    for who, text in (("A", TEXT_A), ("B", TEXT_B), ("C", TEXT_C), ("D", TEXT_D)):
        api(room.base, "PUT", f"/questions/{tid}/response", {"answer": text}, room.tokens[who])
    ids = reflection_ids(room)
    room.fac("POST", f"/responses/{ids[TEXT_C]}/approve")
    room.fac("POST", f"/questions/{tid}/reveal")
    results = b.results(tid)
    assert results.tally is not None and results.reflections == [TEXT_C]
    text_chart = LivePollChart(b, "rescuer-closing", follow=False)
    text_chart.refresh()
    shown = widget_text(text_chart) + json.dumps(text_chart.tally.as_dict()) + repr(results)
    for marker in (MARKER_A, MARKER_D, *room.tokens.values()):
        assert marker not in shown
    assert b.my_answer(tid) == TEXT_B


# --------------------------------------------------------------------------- every kind of session


@dataclass
class SessionRoom:
    """A room seen through the session API: its facilitator and participants A to D."""

    fac: Session
    people: dict[str, Session]


@pytest.fixture(params=["solo", "rehearsal", "service"])
def session_room(
    request: pytest.FixtureRequest, content, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[SessionRoom]:
    kind = request.param
    if kind == "service":
        url = request.getfixturevalue("live_service").url
        created = api(url, "POST", "/rooms", {"title": "Privacy audit", "min_group": 3})
        code = created["code"]
        fac: Session = RemoteSession(
            url, code, facilitator_key=created["facilitator_key"], content=content
        )
        people: dict[str, Session] = {
            who: RemoteSession(
                url, code, token=api(url, "POST", f"/rooms/{code}/join")["token"], content=content
            )
            for who in "ABCD"
        }
    elif kind == "rehearsal":  # two simulated participants answer each question too
        rehearsal = RehearsalSession(2, seed=1, content=content)
        fac = rehearsal
        people = {
            who: LocalSession(
                rehearsal.store, content=content, resume=rehearsal.store.join(rehearsal.room)
            )
            for who in "ABCD"
        }
    else:  # B works alone in self-paced mode; the rules hold even if others shared the room
        monkeypatch.setenv("PEERKIT_HOME", str(tmp_path / "home"))
        me = solo_session(content=content)
        store = me.store
        people = {"B": me} | {
            who: LocalSession(store, content=content, resume=store.join(me.room)) for who in "ACD"
        }
        fac = LocalSession(store, content=content, role="facilitator", resume=store.join(me.room))
    yield SessionRoom(fac, people)
    if kind != "service":
        fac.close()


QUESTIONS = {  # name -> (content id, tag)
    "choice": ("housing-call", ""),
    "pre": ("autonomy-control", "pre"),
    "post": ("autonomy-control", "post"),
    "text": ("rescuer-closing", ""),
}


def refused(call: Any, *args: Any) -> str:
    """The error code a session's refusal carries."""
    with pytest.raises(ClientError) as caught:
        call(*args)
    return caught.value.code


def test_every_kind_of_session_keeps_the_same_room_rules(session_room: SessionRoom) -> None:
    fac, b = session_room.fac, session_room.people["B"]
    seen: list[str] = []  # everything B's session handed back

    def as_b(value: Any) -> Any:
        seen.append(repr(value))
        return value

    for name, (content_id, tag) in QUESTIONS.items():
        qid = fac.act(fac.question(content_id, tag).id, "open").id
        for who, person in session_room.people.items():
            if name in ANSWERS[who]:
                info = person.question(content_id, tag)
                assert info is not None and info.id == qid
                person.respond(qid, ANSWERS[who][name])
        if name == "text":
            session_room.people["D"].respond(qid, TEXT_D)
        # Not revealed: B is given no tally and no reflections, only B's own answer.
        hidden = as_b(b.results(qid))
        assert hidden.tally is None and hidden.reflections == []
        assert as_b(b.my_answer(qid)) == ANSWERS["B"][name]
        assert refused(b.act, qid, "reveal") == "forbidden"
        if name == "text":
            reflections = {r["text"]: r for r in fac.results(qid).reflections}
            assert {TEXT_A, TEXT_B, TEXT_C, TEXT_D} <= set(reflections)  # the facilitator's
            assert reflections[TEXT_D]["flags"] and not reflections[TEXT_A]["flags"]
            assert refused(fac.moderate, reflections[TEXT_D]["id"], True) == "flagged"
            assert refused(b.moderate, reflections[TEXT_B]["id"], True) == "forbidden"
            fac.moderate(reflections[TEXT_B]["id"], True)
            fac.moderate(reflections[TEXT_C]["id"], True)
        fac.act(qid, "reveal")
        group = fac.results(qid).tally
        shown = as_b(b.results(qid))
        if group.answered < 3:  # revealed, but too few answers to show without exposing one
            assert shown.tally is None and shown.reflections == []
        else:
            assert shown.tally == group
            assert shown.reflections == ([TEXT_B, TEXT_C] if name == "text" else [])
    comparison = as_b(b.pre_post("autonomy-control"))
    assert isinstance(comparison["paired"], int)  # a count, never the pairs
    assert refused(b.export_csv) == "forbidden"
    text = "\n".join(seen)
    for marker in (MARKER_A, MARKER_D, "suicide", "flags"):
        assert marker not in text, marker
    assert TEXT_B in text  # the search does reach what B was given


def test_a_participant_sees_no_comparison_before_it_is_revealed(
    session_room: SessionRoom,
) -> None:
    fac, b = session_room.fac, session_room.people["B"]
    for name in ("pre", "post"):
        content_id, tag = QUESTIONS[name]
        qid = fac.act(fac.question(content_id, tag).id, "open").id
        for who in "ABC":
            session_room.people[who].respond(qid, ANSWERS[who][name])
    assert refused(b.pre_post, "autonomy-control") == "not_revealed"
    assert fac.pre_post("autonomy-control")["paired"] >= 3
    assert refused(b.export_csv) == "forbidden"
    answer = b.my_answer(fac.question(*QUESTIONS["pre"]).id)
    assert answer == ANSWERS["B"]["pre"] and answer != PASS
