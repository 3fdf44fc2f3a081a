"""The room's screen (the presenter display): what its API gives a presenter token, what the
token is refused, and the page itself in Chromium at projector sizes, checked with axe-core.

The API tests run on every store (as tests/test_store.py does); the browser tests on SQLite.
"""

from __future__ import annotations

import json
import re
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from serving import call_json, serving
from test_store import STORE_FACTORIES

from peerkit.content import Content
from peerkit.store import Store

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"

CHOICE = {
    "kind": "choice",
    "id": "lift",
    "title": "The lift home",
    "prompt": "What do you say?",
    "vignette": "Sam asks you for a lift home after the group, again.",
    "options": [
        {"id": "yes", "text": "Of course, hop in."},
        {"id": "ask", "text": "Ask what would help Sam get home another way."},
        {"id": "no", "text": "Say no and leave it there."},
    ],
}
SCALE = {
    "kind": "scale",
    "id": "stance",
    "prompt": "Where do you stand?",
    "min": 0,
    "max": 10,
    "step": 1,
    "low_label": "I decide for them",
    "high_label": "They decide for themselves",
}
TEXT = {"kind": "text", "id": "note", "prompt": "One thing you will try", "max_length": 200}


# --------------------------------------------------------------------------- helpers


def http(url: str, method: str = "GET", body: object = None, secret: str | None = None):
    """(status, JSON body) of one call, errors included."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    if secret:
        req.add_header("Authorization", f"Bearer {secret}")
    try:
        with urllib.request.urlopen(req, timeout=10) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


@dataclass
class Room:
    url: str
    code: str
    key: str
    presenter_url: str

    @property
    def token(self) -> str:
        return self.presenter_url.split("#token=", 1)[1]

    def call(self, method: str, path: str, body: object = None, secret: str | None = None):
        return call_json(f"{self.url}/api/v1{path}", method, body, secret)

    def add(self, question: dict, tag: str = "") -> int:
        body = {"question": question, "tag": tag}
        return self.call("POST", f"/rooms/{self.code}/questions", body, self.key)["id"]

    def act(self, question: int, *actions: str) -> None:
        for action in actions:
            self.call("POST", f"/questions/{question}/{action}", {}, self.key)

    def join(self) -> str:
        return self.call("POST", f"/rooms/{self.code}/join", {})["token"]

    def answer(self, token: str, question: int, answer: object) -> dict:
        return self.call("PUT", f"/questions/{question}/response", {"answer": answer}, token)

    def screen(self, secret: str | None = None, query: str = ""):
        return http(f"{self.url}/api/v1/rooms/{self.code}/screen{query}", secret=secret)


def new_room(url: str, min_group: int = 3) -> Room:
    made = call_json(
        f"{url}/api/v1/rooms", "POST", {"title": "Screen test", "min_group": min_group}
    )
    return Room(url, made["code"], made["facilitator_key"], made["presenter_url"])


@pytest.fixture(params=list(STORE_FACTORIES), ids=list(STORE_FACTORIES))
def any_service(request: pytest.FixtureRequest, tmp_path: Path, content: Content) -> Iterator[str]:
    store: Store = STORE_FACTORIES[request.param](request, tmp_path)
    with serving(store, content=content) as url:
        yield url
    store.close()


# --------------------------------------------------------------------------- the API


def test_the_presenter_link_comes_with_the_room_and_its_details(any_service: str) -> None:
    room = new_room(any_service)
    assert re.fullmatch(
        rf"{re.escape(any_service)}/present/{room.code}#token=[\w-]{{20,}}", room.presenter_url
    )
    assert room.token not in (room.key,)
    details = room.call("GET", f"/rooms/{room.code}", secret=room.key)
    assert details["presenter_url"] == room.presenter_url
    public = room.call("GET", f"/rooms/{room.code}")
    assert "presenter_url" not in public
    # neither the presenter token nor a participant's token gets the facilitator's details
    for secret in (room.token, room.join()):
        status, body = http(f"{any_service}/api/v1/rooms/{room.code}", secret=secret)
        assert status == 403, body


def test_the_screen_shows_the_count_while_open_and_results_only_when_revealed(
    any_service: str,
) -> None:
    room = new_room(any_service, min_group=3)
    status, view = room.screen(room.token)
    assert status == 200
    assert view["question"] is None and view["answers"] == 0 and view["room"] == room.code
    assert view["join_url"] == f"{any_service}/join/{room.code}"

    qid = room.add(CHOICE)
    room.act(qid, "open")
    people = [room.join() for _ in range(4)]
    for token, answer in zip(people, ["ask", "ask", "yes", "pass"], strict=True):
        room.answer(token, qid, answer)
    _, view = room.screen(room.token)
    q = view["question"]
    assert q["id"] == qid and q["state"] == "open" and q["vignette"] == CHOICE["vignette"]
    assert [o["text"] for o in q["options"]] == [o["text"] for o in CHOICE["options"]]
    assert all(set(o) == {"id", "text"} for o in q["options"])  # no stance, no debrief
    assert view["answers"] == 4 and view["participants"] == 4
    assert view["results"] is None
    text = json.dumps(view)
    assert "percent" not in text and "counts" not in text and "your_answer" not in text

    room.act(qid, "close", "reveal")
    _, view = room.screen(room.token)
    assert view["results"]["counts"] == {"yes": 1, "ask": 2, "no": 0}
    assert view["results"]["passes"] == 1

    room.act(qid, "hide")
    _, view = room.screen(room.token)
    assert view["results"] is None

    # below the minimum group nothing is shown, revealed or not
    small = room.add(CHOICE)
    room.act(small, "open")
    room.answer(people[0], small, "no")
    room.answer(people[1], small, "yes")
    room.act(small, "reveal")
    _, view = room.screen(room.token)
    assert view["question"]["id"] == small and view["question"]["revealed"] is True
    assert view["answers"] == 2 and view["results"] is None


def test_reflections_reach_the_screen_only_approved_and_revealed(any_service: str) -> None:
    room = new_room(any_service, min_group=1)
    qid = room.add(TEXT)
    room.act(qid, "open")
    people = [room.join() for _ in range(2)]
    room.answer(people[0], qid, "Ask before I help")
    room.answer(people[1], qid, "Sit with the silence")
    room.act(qid, "reveal")
    _, view = room.screen(room.token)
    assert view["results"]["reflections"] == []
    assert "Ask before" not in json.dumps(view)
    pending = room.call("GET", f"/questions/{qid}/results", secret=room.key)["reflections"]
    first = next(r for r in pending if r["text"] == "Ask before I help")
    room.call("POST", f"/responses/{first['id']}/approve", {}, room.key)
    _, view = room.screen(room.token)
    assert view["results"]["reflections"] == ["Ask before I help"]
    assert "Sit with the silence" not in json.dumps(view)


def test_the_screen_shows_the_shift_of_a_revealed_pre_post_scale(any_service: str) -> None:
    room = new_room(any_service, min_group=2)
    people = [room.join() for _ in range(3)]
    ids = {}
    for tag, answers in (("pre", [2, 3, 4]), ("post", [6, 7, 4])):
        ids[tag] = qid = room.call(
            "POST",
            f"/rooms/{room.code}/questions",
            {"content_id": "autonomy-control", "tag": tag},
            room.key,
        )["id"]
        room.act(qid, "open")
        for token, value in zip(people, answers, strict=True):
            room.answer(token, qid, value)
        room.act(qid, "close")
    room.act(ids["post"], "reveal")
    _, view = room.screen(room.token)
    assert view["results"]["n"] == 3
    assert view["shift"] is None  # the "pre" reading is not revealed
    room.act(ids["pre"], "reveal")
    room.act(ids["post"], "hide", "reveal")  # the post question is current again
    _, view = room.screen(room.token)
    assert view["shift"]["paired"] == 3
    assert view["shift"]["moved"] == {"towards_high": 2, "towards_low": 0, "unchanged": 1}


def test_the_screen_follows_a_change_within_a_second(any_service: str) -> None:
    room = new_room(any_service)
    qid = room.add(CHOICE)
    _, first = room.screen(room.token)
    got: dict = {}

    def wait() -> None:
        got["reply"] = room.screen(room.token, f"?after={first['etag']}&timeout=20")
        got["at"] = time.monotonic()

    waiter = threading.Thread(target=wait)
    waiter.start()
    time.sleep(0.3)
    opened = time.monotonic()
    room.act(qid, "open")
    waiter.join(10)
    assert got["reply"][1]["question"]["id"] == qid
    assert got["at"] - opened < 1.0


def _state(store: Store, code: str) -> list:
    """Everything about a room's questions and answers, to compare before and after."""
    return [
        (r.state, r.revealed, r.version, [(x.answer, x.moderation) for x in store.responses(r.id)])
        for r in store.questions(code)
    ]


@pytest.mark.parametrize("kind", list(STORE_FACTORIES))
def test_the_presenter_token_is_refused_everything_else(
    kind: str, request: pytest.FixtureRequest, tmp_path: Path, content: Content
) -> None:
    store = STORE_FACTORIES[kind](request, tmp_path)
    with serving(store, content=content) as url:
        room = new_room(url, min_group=1)
        choice, reflection = room.add(CHOICE), room.add(TEXT)
        room.act(reflection, "open")
        person = room.join()
        room.answer(person, reflection, "Not for the wall yet")
        room.act(choice, "open")
        room.answer(person, choice, "ask")
        before = _state(store, room.code)
        response_id = store.responses(reflection)[0].id
        api, t = f"{url}/api/v1", room.token
        tries = {
            "open": (f"{api}/questions/{reflection}/open", "POST", {}),
            "close": (f"{api}/questions/{choice}/close", "POST", {}),
            "reveal": (f"{api}/questions/{choice}/reveal", "POST", {}),
            "hide": (f"{api}/questions/{choice}/hide", "POST", {}),
            "reset": (f"{api}/questions/{choice}/reset", "POST", {}),
            "answer": (f"{api}/questions/{choice}/response", "PUT", {"answer": "no"}),
            "another's answer": (f"{api}/questions/{choice}/response", "GET", None),
            "unapproved reflections": (f"{api}/questions/{reflection}/results", "GET", None),
            "approve": (f"{api}/responses/{response_id}/approve", "POST", {}),
            "questions": (f"{api}/rooms/{room.code}/questions", "GET", None),
            "add a question": (f"{api}/rooms/{room.code}/questions", "POST", {"question": CHOICE}),
            "export": (f"{api}/rooms/{room.code}/export.csv?rows=responses", "GET", None),
            "pre-post": (f"{api}/rooms/{room.code}/pre-post/autonomy-control", "GET", None),
            "new presenter link": (f"{api}/rooms/{room.code}/presenter", "POST", {}),
            "withdraw it": (f"{api}/rooms/{room.code}/presenter", "DELETE", None),
        }
        for what, (target, method, body) in tries.items():
            status, reply = http(target, method, body, t)
            assert status in (401, 403), f"{what}: {status} {reply}"
            assert "Not for the wall" not in json.dumps(reply), what
        assert _state(store, room.code) == before
        # the screen holds neither the pending reflection nor the answer while unrevealed
        status, view = room.screen(t)
        assert status == 200 and view["results"] is None and view["answers"] == 1
        assert "your_answer" not in view and "counts" not in json.dumps(view)

        # a new link withdraws the old one; withdrawing leaves none
        renewed = room.call("POST", f"/rooms/{room.code}/presenter", {}, room.key)
        assert renewed["presenter_url"] != room.presenter_url
        assert room.screen(t)[0] == 403
        new_token = renewed["presenter_url"].split("#token=")[1]
        assert room.screen(new_token)[0] == 200
        assert (
            room.call("GET", f"/rooms/{room.code}", secret=room.key)["presenter_url"]
            == (renewed["presenter_url"])
        )
        room.call("DELETE", f"/rooms/{room.code}/presenter", secret=room.key)
        assert room.screen(new_token)[0] == 403
        assert room.call("GET", f"/rooms/{room.code}", secret=room.key)["presenter_url"] is None
        # the facilitator key opens the screen too; a participant's token does not
        assert room.screen(room.key)[0] == 200
        assert room.screen(person)[0] == 403
        assert room.screen()[0] == 401
        assert _state(store, room.code) == before
    store.close()


def test_the_qr_code_is_an_svg_of_the_join_link(any_service: str) -> None:
    room = new_room(any_service)
    with urllib.request.urlopen(f"{any_service}/api/v1/rooms/{room.code}/qr.svg") as reply:
        assert reply.headers["Content-Type"].startswith("image/svg+xml")
        assert reply.read().startswith(b"<svg")
    assert http(f"{any_service}/api/v1/rooms/ZZZZZZ/qr.svg")[0] == 404
