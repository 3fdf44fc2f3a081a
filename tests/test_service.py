"""The poll service over real HTTP on 127.0.0.1: every endpoint, every role, bad input and
durability.

Most tests share one in-process service (tornado on its own asyncio loop in a background thread,
a SQLite store in a temporary directory) and talk to it with a plain blocking ``http.client``
from the test thread; every test makes its own room, so tests do not see each other's data.
The durability test runs ``python -m peerkit serve`` as a real process and SIGKILLs it under load.
"""

from __future__ import annotations

import asyncio
import csv
import http.client
import io
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import tornado.httpserver
import tornado.netutil

from peerkit.client import ClientError, RemoteSession
from peerkit.content import Content, load_content
from peerkit.model import PASS
from peerkit.service import make_app
from peerkit.service.base import MAX_REQUEST_BODY
from peerkit.store import InvalidAnswer, ResponseRecord, SQLiteStore
from peerkit.store.base import JOIN_CODE_ALPHABET

REPO = Path(__file__).resolve().parent.parent
API = "/api/v1"
CREATE_KEY = "creator-key-for-tests"
PUBLIC_URL = "https://workshop.example"

# --------------------------------------------------------------------------- HTTP client


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    text: str

    @property
    def json(self) -> Any:
        return json.loads(self.text)


def http_request(
    base: str,
    method: str,
    path: str,
    *,
    data: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 15,
) -> Reply:
    """One request on a fresh connection. Checks what must hold for every reply."""
    url = urlsplit(base)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=timeout)
    try:
        conn.request(method, path, body=data, headers=headers or {})
        resp = conn.getresponse()
        reply = Reply(resp.status, resp.headers, resp.read().decode("utf-8"))
    finally:
        conn.close()
    # Never a server error, never a stack trace, whatever was sent.
    assert reply.status < 500, (method, path, reply.status, reply.text)
    assert "Traceback" not in reply.text, reply.text
    if reply.status >= 400:
        assert reply.headers.get("Content-Type", "").startswith("application/json"), reply.text
        error = reply.json["error"]
        assert set(error) == {"code", "message"}, error
        assert isinstance(error["code"], str) and error["code"]
        assert isinstance(error["message"], str) and error["message"]
    return reply


class Client:
    """``api(method, path, body=None, secret=None) -> (status, json)`` against one service."""

    base: str

    def raw(
        self,
        method: str,
        path: str,
        data: bytes | None = None,
        secret: str | None = None,
        headers: dict[str, str] | None = None,
        timeout: float = 15,
    ) -> Reply:
        all_headers = dict(headers or {})
        if secret is not None:
            all_headers["Authorization"] = f"Bearer {secret}"
        if data is not None:
            all_headers.setdefault("Content-Type", "application/json")
        return http_request(
            self.base, method, path, data=data, headers=all_headers, timeout=timeout
        )

    def __call__(
        self,
        method: str,
        path: str,
        body: Any = None,
        secret: str | None = None,
        timeout: float = 15,
    ) -> tuple[int, Any]:
        data = None if body is None else json.dumps(body).encode("utf-8")
        reply = self.raw(method, API + path, data, secret, timeout=timeout)
        return reply.status, reply.json

    # -- conveniences ------------------------------------------------------------------------
    def room(self, title: str = "Test room", **extra: Any) -> Room:
        status, body = self("POST", "/rooms", {"title": title, **extra})
        assert status == 201, body
        return Room(body["code"], body["facilitator_key"])

    def join(self, code: str) -> str:
        status, body = self("POST", f"/rooms/{code}/join")
        assert status == 201, body
        return body["token"]

    def add(self, room: Room, content_id: str | None = None, **body: Any) -> dict:
        if content_id is not None:
            body["content_id"] = content_id
        status, record = self("POST", f"/rooms/{room.code}/questions", body, room.key)
        assert status == 201, record
        return record

    def act(self, room: Room, qid: int, action: str) -> dict:
        status, record = self("POST", f"/questions/{qid}/{action}", secret=room.key)
        assert status == 200, record
        return record

    def opened(self, room: Room, content_id: str | None = None, **body: Any) -> int:
        qid = self.add(room, content_id, **body)["id"]
        self.act(room, qid, "open")
        return qid

    def answer(self, qid: int, token: str, answer: Any) -> tuple[int, Any]:
        return self("PUT", f"/questions/{qid}/response", {"answer": answer}, token)

    def answered(self, qid: int, token: str, answer: Any) -> dict:
        status, body = self.answer(qid, token, answer)
        assert status == 200, body
        return body

    def own_answer(self, qid: int, token: str) -> Any:
        status, body = self("GET", f"/questions/{qid}/response", secret=token)
        assert status == 200, body
        return body["answer"]

    def results(self, qid: int, secret: str, query: str = "") -> dict:
        status, body = self("GET", f"/questions/{qid}/results{query}", secret=secret)
        assert status == 200, body
        return body

    def questions(self, room: Room) -> list[dict]:
        status, body = self("GET", f"/rooms/{room.code}/questions", secret=room.key)
        assert status == 200, body
        return body["questions"]


@dataclass(frozen=True)
class Room:
    code: str
    key: str


# --------------------------------------------------------------------------- in-process service


class LiveService(Client):
    """The tornado app on its own asyncio loop in a background thread, on a free port."""

    def __init__(
        self, db: Path, content: Content | None, host: str = "127.0.0.1", **app_kwargs: Any
    ) -> None:
        # NORMAL still survives a killed process in WAL mode and keeps the tests quick;
        # the durability test below runs the real command with the default (FULL).
        self.store = SQLiteStore(db, synchronous="NORMAL")
        self._content, self._host, self._kwargs = content, host, app_kwargs
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="peerkit-test-service", daemon=True)
        self._thread.start()
        if not self._ready.wait(15):
            raise RuntimeError("the test service did not start")
        if self._error is not None:
            raise self._error
        self.base = f"http://{host}:{self.port}"

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        self.loop = loop
        try:
            loop.run_until_complete(self._start())
        except BaseException as exc:
            self._error = exc
            self._ready.set()
            loop.close()
            return
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            self.server.stop()
            loop.run_until_complete(self.server.close_all_connections())
            loop.run_until_complete(self.app.peerkit.worker.close())
            loop.close()

    async def _start(self) -> None:
        self.app = make_app(self.store, content=self._content, **self._kwargs)
        self.server = tornado.httpserver.HTTPServer(self.app, max_body_size=MAX_REQUEST_BODY)
        sockets = tornado.netutil.bind_sockets(0, self._host, family=socket.AF_INET)
        self.server.add_sockets(sockets)
        self.port = sockets[0].getsockname()[1]

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(15)
        assert not self._thread.is_alive(), "the test service did not stop"


@pytest.fixture(scope="module")
def content() -> Content:
    return load_content()


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory, content: Content) -> Iterator[LiveService]:
    service = LiveService(tmp_path_factory.mktemp("service") / "peerkit.db", content)
    yield service
    service.stop()


@pytest.fixture(scope="module")
def keyed(tmp_path_factory: pytest.TempPathFactory, content: Content) -> Iterator[LiveService]:
    """A service with a creator key and a public address."""
    service = LiveService(
        tmp_path_factory.mktemp("keyed") / "peerkit.db",
        content,
        create_key=CREATE_KEY,
        public_url=PUBLIC_URL + "/",
    )
    yield service
    service.stop()


def background(func: Callable[..., Any], *args: Any) -> Future:
    """Run ``func`` in a thread of its own; returns its future."""
    pool = ThreadPoolExecutor(max_workers=1)
    try:
        return pool.submit(func, *args)
    finally:
        pool.shutdown(wait=False)


def timed(func: Callable[..., Any], *args: Any) -> Callable[[], tuple[Any, float]]:
    """A callable that runs ``func`` and returns (its result, the monotonic time it returned)."""

    def run() -> tuple[Any, float]:
        result = func(*args)
        return result, time.monotonic()

    return run


# Ad hoc questions: one of each kind, valid.
CHOICE = {
    "kind": "choice",
    "id": "tea-or-coffee",
    "prompt": "Tea or coffee?",
    "options": [
        {"id": "tea", "text": "Tea", "stance": "rescuing", "position": 2, "debrief": "Warm."},
        {"id": "coffee", "text": "Coffee"},
    ],
}
SCALE = {
    "kind": "scale",
    "id": "energy",
    "prompt": "How much energy do you have?",
    "low_label": "None at all",
    "high_label": "Plenty",
    "min": 0,
    "max": 5,
    "step": 0.5,
    "anchors": [[0, "Running on empty"], [5, "Ready for anything"]],
}
TEXT = {"kind": "text", "id": "one-word", "prompt": "One word for today?", "max_length": 20}


# --------------------------------------------------------------------------- health and rooms


def test_health(api: LiveService) -> None:
    status, body = api("GET", "/health")
    assert status == 200
    assert body["ok"] is True
    assert re.fullmatch(r"\d+\.\d+\.\d+.*", body["version"])


def test_strings_for_the_pages(api: LiveService) -> None:
    """The pages' words in a language: the page catalog, cacheable, revalidated with a 304."""
    from peerkit import i18n

    for language in i18n.languages():
        reply = api.raw("GET", f"{API}/strings/{language}")
        assert reply.status == 200, reply.text
        assert reply.json == i18n.page_catalog(language)
        assert reply.headers["Content-Type"].startswith("application/json")
        assert "max-age=" in reply.headers["Cache-Control"], reply.headers["Cache-Control"]
        assert "no-store" not in reply.headers["Cache-Control"]
        etag = reply.headers["ETag"]
        again = api.raw("GET", f"{API}/strings/{language}", headers={"If-None-Match": etag})
        assert (again.status, again.text, again.headers["ETag"]) == (304, "", etag)
    # A region falls back to its language; the service's default is always there.
    status, body = api("GET", "/strings/EN-gb")
    assert (status, body["language"]) == (200, "en")
    assert set(body) == {"language", "messages", "plurals"}


def test_strings_for_an_unknown_language(api: LiveService) -> None:
    for language in ("xx", "klingon", "..", "e%20s"):
        status, body = api("GET", f"/strings/{language}")
        assert (status, body["error"]["code"]) == (404, "not_found"), (language, body)


def test_create_room_from_loopback_without_a_key(api: LiveService) -> None:
    status, body = api("POST", "/rooms", {"title": "Tuesday group", "min_group": 4})
    assert status == 201, body
    assert len(body["code"]) == 6 and set(body["code"]) <= set(JOIN_CODE_ALPHABET)
    assert body["title"] == "Tuesday group"
    assert body["min_group"] == 4
    assert body["language"] == "en"  # the service's default language
    assert len(body["facilitator_key"]) >= 24
    assert body["join_url"] == f"{api.base}/join/{body['code']}"
    # With no body at all the defaults apply.
    status, other = api("POST", "/rooms")
    assert status == 201, other
    assert other["min_group"] == 3 and other["title"] == ""
    assert other["code"] != body["code"]
    assert other["facilitator_key"] != body["facilitator_key"]


@pytest.mark.parametrize(
    "body",
    [{"title": "x" * 201}, {"title": 7}, {"min_group": 0}, {"min_group": "3"}, {"min_group": True}],
)
def test_create_room_rejects_bad_fields(api: LiveService, body: dict) -> None:
    status, reply = api("POST", "/rooms", body)
    assert status == 400
    assert reply["error"]["code"] == "bad_request"


def test_create_room_needs_the_creator_key_when_one_is_set(keyed: LiveService) -> None:
    status, body = keyed("POST", "/rooms", {"title": "no key"})
    assert (status, body["error"]["code"]) == (403, "forbidden")
    status, body = keyed("POST", "/rooms", {"title": "wrong key"}, secret="not-the-key")
    assert (status, body["error"]["code"]) == (403, "forbidden")
    reply = keyed.raw("POST", API + "/rooms", b"{}", headers={"Authorization": CREATE_KEY})
    assert reply.status == 403  # the key without the Bearer scheme
    status, body = keyed("POST", "/rooms", {"title": "right key"}, secret=CREATE_KEY)
    assert status == 201, body
    # --public-url decides the join link, without a doubled slash.
    assert body["join_url"] == f"{PUBLIC_URL}/join/{body['code']}"
    # A room's facilitator key is not a creator key.
    status, _ = keyed("POST", "/rooms", {}, secret=body["facilitator_key"])
    assert status == 403


def test_without_a_creator_key_only_this_machine_may_create_rooms(
    tmp_path: Path, content: Content, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ipaddress

    import peerkit.service.rooms as rooms_module

    service = LiveService(tmp_path / "lan.db", content)
    try:
        status, _ = service("POST", "/rooms", {"title": "from this machine"})
        assert status == 201
        # Every request now looks as if it came from another machine on the network.
        other = ipaddress.ip_address("192.0.2.40")
        monkeypatch.setattr(rooms_module.ipaddress, "ip_address", lambda _address: other)
        status, body = service("POST", "/rooms", {"title": "from the LAN"})
        assert (status, body["error"]["code"]) == (403, "forbidden")
        assert "this machine" in body["error"]["message"]
        # Everything else still works from another machine.
        status, _ = service("GET", "/health")
        assert status == 200
    finally:
        service.stop()


def test_get_room_public_and_facilitator_views(api: LiveService) -> None:
    room = api.room("Peer support basics", min_group=5)
    status, public = api("GET", f"/rooms/{room.code}")
    assert status == 200
    assert public == {
        "code": room.code,
        "title": "Peer support basics",
        "min_group": 5,
        "language": "en",
    }
    # The code is read case- and space-insensitively.
    status, lower = api("GET", f"/rooms/{room.code.lower()}")
    assert (status, lower["code"]) == (200, room.code)

    status, private = api("GET", f"/rooms/{room.code}", secret=room.key)
    assert status == 200
    assert private["participants"] == 0
    assert private["current_question"] is None
    token = api.join(room.code)
    qid = api.opened(room, "housing-call")
    status, private = api("GET", f"/rooms/{room.code}", secret=room.key)
    assert (private["participants"], private["current_question"]) == (1, qid)

    status, body = api("GET", f"/rooms/{room.code}", secret=token)
    assert (status, body["error"]["code"]) == (403, "forbidden")
    assert "participants" not in body


def test_a_room_shows_its_language_everywhere(api: LiveService) -> None:
    """A room's language is set when it is created and comes with the room, the join reply,
    the participant page's view and the presenter display's."""
    status, made = api("POST", "/rooms", {"title": "Taller", "language": "es-ES"})
    assert (status, made["language"]) == (201, "es")
    code = made["code"]
    assert api("GET", f"/rooms/{code}")[1]["language"] == "es"
    assert api("GET", f"/rooms/{code}", secret=made["facilitator_key"])[1]["language"] == "es"
    status, joined = api("POST", f"/rooms/{code}/join")
    assert (status, joined["language"]) == (201, "es")
    status, current = api("GET", f"/rooms/{code}/current", secret=joined["token"])
    assert (status, current["language"]) == (200, "es")
    status, screen = api("GET", f"/rooms/{code}/screen", secret=made["facilitator_key"])
    assert (status, screen["language"]) == (200, "es")


@pytest.mark.parametrize("language", ["fr", "", 7, None, ["es"]])
def test_create_room_refuses_a_language_peerkit_cannot_show(
    api: LiveService, language: object
) -> None:
    status, reply = api("POST", "/rooms", {"title": "Atelier", "language": language})
    assert (status, reply["error"]["code"]) == (400, "bad_request")
    assert "'language'" in reply["error"]["message"]
    assert "en, es" in reply["error"]["message"]


def test_rooms_are_in_the_services_language_unless_they_say(
    tmp_path: Path, content: Content
) -> None:
    service = LiveService(tmp_path / "es.db", content, language="es")
    try:
        status, made = service("POST", "/rooms", {"title": "Taller"})
        assert (status, made["language"]) == (201, "es")
        status, made = service("POST", "/rooms", {"title": "Workshop", "language": "en"})
        assert (status, made["language"]) == (201, "en")
    finally:
        service.stop()


def test_a_notebook_session_takes_on_its_rooms_language(api: LiveService, content: Content) -> None:
    from peerkit import i18n

    spanish = api.room("Taller", language="es")
    token = api.join(spanish.code)
    english = api.room("Workshop")
    try:
        facilitator = RemoteSession(
            api.base, spanish.code, facilitator_key=spanish.key, content=content
        )
        assert (facilitator.language, i18n.active()) == ("es", "es")
        back = RemoteSession(api.base, english.code, facilitator_key=english.key, content=content)
        assert (back.language, i18n.active()) == ("en", "en")
        participant = RemoteSession(api.base, spanish.code, token=token, content=content)
        assert (participant.language, i18n.active()) == ("es", "es")
    finally:
        i18n.use("en")


def test_join_gives_a_fresh_token_and_counts_participants(api: LiveService) -> None:
    room = api.room()
    tokens = []
    for expected in (1, 2, 3):
        status, body = api("POST", f"/rooms/{room.code}/join")
        assert status == 201
        assert body["room"] == room.code
        tokens.append(body["token"])
        _, view = api("GET", f"/rooms/{room.code}", secret=room.key)
        assert view["participants"] == expected
    assert len(set(tokens)) == 3
    assert room.key not in tokens
    # A token works in its own room (the participant's own, empty, answer).
    qid = api.opened(room, "autonomy-control")
    assert api.own_answer(qid, tokens[0]) is None


# --------------------------------------------------------------------------- questions


def test_questions_from_content(api: LiveService) -> None:
    room = api.room()
    scenario = api.add(room, "housing-call", tag="rescuer")
    assert scenario["source"] == "housing-call"
    assert scenario["tag"] == "rescuer"
    assert (scenario["state"], scenario["revealed"], scenario["position"]) == ("draft", False, 1)
    question = scenario["question"]
    assert question["kind"] == "choice" and question["id"] == "housing-call"
    assert [o["id"] for o in question["options"]] == ["a", "b", "c", "d", "e"]
    # The facilitator sees the teaching material.
    assert question["debrief"].startswith("Making the call is the classic rescue")
    assert question["options"][0]["stance"] == "rescuing"

    scale = api.add(room, "autonomy-control", tag="pre")["question"]
    assert scale["kind"] == "scale"
    assert (scale["min"], scale["max"], scale["step"]) == (0, 10, 1)
    assert scale["low_label"] == "I decide for them"

    prompt = api.add(room, "rescuer-closing")["question"]
    assert prompt["kind"] == "text"
    assert prompt["max_length"] == 280

    listed = api.questions(room)
    assert [(q["position"], q["source"]) for q in listed] == [
        (1, "housing-call"),
        (2, "autonomy-control"),
        (3, "rescuer-closing"),
    ]
    assert listed[1]["tag"] == "pre"
    # The single-question view for the facilitator matches the list.
    status, single = api("GET", f"/questions/{listed[2]['id']}", secret=room.key)
    assert status == 200 and single == listed[2]


def test_unknown_content_id_is_404(api: LiveService) -> None:
    room = api.room()
    status, body = api("POST", f"/rooms/{room.code}/questions", {"content_id": "nope"}, room.key)
    assert (status, body["error"]["code"]) == (404, "not_found")
    assert "'nope'" in body["error"]["message"]
    status, body = api("POST", f"/rooms/{room.code}/questions", {"content_id": 3}, room.key)
    assert (status, body["error"]["code"]) == (400, "bad_request")
    assert api.questions(room) == []


def test_ad_hoc_questions(api: LiveService) -> None:
    room = api.room()
    choice = api.add(room, question=CHOICE)
    assert choice["source"] is None
    assert choice["question"]["options"][0]["debrief"] == "Warm."
    scale = api.add(room, question=SCALE)
    assert scale["question"]["step"] == 0.5
    assert scale["question"]["anchors"] == [[0, "Running on empty"], [5, "Ready for anything"]]
    text = api.add(room, question=TEXT, tag="check-in")
    assert (text["question"]["max_length"], text["tag"]) == (20, "check-in")
    assert [q["question"]["kind"] for q in api.questions(room)] == ["choice", "scale", "text"]
    # The ad hoc questions take answers like content ones.
    token = api.join(room.code)
    for record, answer in ((choice, "coffee"), (scale, 2.5), (text, "hopeful")):
        api.act(room, record["id"], "open")
        assert api.answered(record["id"], token, answer)["answer"] == answer


@pytest.mark.parametrize(
    ("question", "words"),
    [
        ({**CHOICE, "options": CHOICE["options"][:1]}, "2 to 6 options"),
        ({**SCALE, "high_label": "none at all"}, "poles must differ"),
        ({**SCALE, "min": 5, "max": 5}, "must be below"),
        ({**SCALE, "step": 0.3}, "does not divide"),
        ({**SCALE, "anchors": [[7, "off the scale"]]}, "anchor 7"),
        ({**TEXT, "max_length": 0}, "max_length"),
        ({**TEXT, "id": "Not An Id"}, "lowercase"),
        ({**TEXT, "kind": "essay"}, "'kind'"),
        ({**CHOICE, "options": "tea,coffee"}, "must be a list"),
        ("just a string", "must be an object"),
        # Bad values that once escaped the model as ValueError or OverflowError (a 500):
        ({**SCALE, "anchors": [["middle", "Halfway"]]}, "anchor 'middle' is not a number"),
        ({**SCALE, "anchors": ["ab"]}, "anchor 'a' is not a number"),
        pytest.param({**SCALE, "max": 10**400}, "'max' must be a number", id="huge-max"),
        pytest.param(
            {
                **CHOICE,
                "options": [{**CHOICE["options"][0], "position": 10**400}, CHOICE["options"][1]],
            },
            "'position' must be a number",
            id="huge-position",
        ),
        # A scale with a billion points (or a vanishing step) once stalled every tally.
        ({**SCALE, "max": 10**9, "step": 1}, "at most 1001 points"),
        ({**SCALE, "step": 1e-12}, "at most 1001 points"),
    ],
)
def test_invalid_ad_hoc_question_is_400(api: LiveService, question: Any, words: str) -> None:
    room = api.room()
    status, body = api("POST", f"/rooms/{room.code}/questions", {"question": question}, room.key)
    assert status == 400, body
    assert body["error"]["code"] == "invalid_question"
    assert words in body["error"]["message"], body["error"]["message"]
    assert api.questions(room) == []


def test_question_body_needs_content_id_or_question(api: LiveService) -> None:
    room = api.room()
    status, body = api("POST", f"/rooms/{room.code}/questions", {"tag": "x"}, room.key)
    assert (status, body["error"]["code"]) == (400, "bad_request")
    status, body = api(
        "POST",
        f"/rooms/{room.code}/questions",
        {"content_id": "housing-call", "tag": "t" * 41},
        room.key,
    )
    assert (status, body["error"]["code"]) == (400, "bad_request")
    assert api.questions(room) == []


# --------------------------------------------------------------------------- roles


ACTIONS = ("open", "close", "reveal", "hide", "reset")


@dataclass
class Scene:
    """A room mid-session: a draft question, an open revealed text question with a pending
    reflection, and an open unrevealed choice question with an answer."""

    room: Room
    token: str
    draft: int
    text: int
    choice: int
    reflection: int


def make_scene(api: LiveService) -> Scene:
    room = api.room()
    token = api.join(room.code)
    draft = api.add(room, "housing-call")["id"]
    text = api.opened(room, "rescuer-closing")
    api.answered(text, token, "What would help you most right now?")
    api.act(room, text, "reveal")
    choice = api.opened(room, "autonomy-control")
    api.answered(choice, token, 7)
    (response,) = api.store.responses(text)
    return Scene(room, token, draft, text, choice, response.id)


def scene_state(api: LiveService, scene: Scene) -> dict:
    """Everything a refused request might have changed, read as the facilitator."""
    questions = api.questions(scene.room)
    _, room = api("GET", f"/rooms/{scene.room.code}", secret=scene.room.key)
    text = api.results(scene.text, scene.room.key)
    choice = api.results(scene.choice, scene.room.key)
    return {
        "questions": [(q["id"], q["state"], q["revealed"]) for q in questions],
        "current": room["current_question"],
        "participants": room["participants"],
        "reflections": [(r["text"], r["moderation"]) for r in text["reflections"]],
        "choice": choice["tally"],
    }


def test_a_participant_cannot_run_the_room(api: LiveService) -> None:
    scene = make_scene(api)
    before = scene_state(api, scene)
    assert before["questions"] == [
        (scene.draft, "draft", False),
        (scene.text, "open", True),
        (scene.choice, "open", False),
    ]
    assert before["reflections"] == [("What would help you most right now?", "pending")]
    assert before["choice"]["n"] == 1

    attempts = [
        ("POST", f"/questions/{q}/{action}", None)
        for q in (scene.draft, scene.text, scene.choice)
        for action in ACTIONS
    ]
    attempts += [
        ("GET", f"/rooms/{scene.room.code}/questions", None),
        ("POST", f"/rooms/{scene.room.code}/questions", {"content_id": "housing-call"}),
        ("POST", f"/rooms/{scene.room.code}/questions", {"question": TEXT}),
        ("GET", f"/rooms/{scene.room.code}/export.csv", None),
        ("GET", f"/rooms/{scene.room.code}/export.csv?rows=responses", None),
        ("POST", f"/responses/{scene.reflection}/approve", None),
        ("POST", f"/responses/{scene.reflection}/reject", None),
        ("GET", f"/rooms/{scene.room.code}", None),
    ]
    for method, path, body in attempts:
        data = None if body is None else json.dumps(body).encode()
        reply = api.raw(method, API + path, data, secret=scene.token)
        assert reply.status == 403, (method, path, reply.text)
        assert reply.json["error"]["code"] == "forbidden"
    assert scene_state(api, scene) == before


def test_one_rooms_facilitator_cannot_touch_another_room(api: LiveService) -> None:
    a = make_scene(api)
    b = make_scene(api)
    before = scene_state(api, b)
    attempts = [
        ("POST", f"/questions/{q}/{action}", None)
        for q in (b.draft, b.text, b.choice)
        for action in ACTIONS
    ]
    attempts += [
        ("GET", f"/rooms/{b.room.code}", None),
        ("GET", f"/rooms/{b.room.code}/questions", None),
        ("POST", f"/rooms/{b.room.code}/questions", {"content_id": "housing-call"}),
        ("GET", f"/rooms/{b.room.code}/export.csv", None),
        ("GET", f"/questions/{b.text}/results", None),
        ("GET", f"/questions/{b.choice}/results?after=0&timeout=5", None),
        ("GET", f"/questions/{b.choice}", None),
        ("GET", f"/rooms/{b.room.code}/current", None),
        ("POST", f"/responses/{b.reflection}/approve", None),
        ("POST", f"/responses/{b.reflection}/reject", None),
    ]
    for method, path, body in attempts:
        data = None if body is None else json.dumps(body).encode()
        reply = api.raw(method, API + path, data, secret=a.room.key)
        assert reply.status == 403, (method, path, reply.text)
        assert reply.json["error"]["code"] == "forbidden"

    # A's participant can neither answer B's question nor read anything of B.
    for method, path in [
        ("PUT", f"/questions/{b.choice}/response"),
        ("GET", f"/questions/{b.choice}/response"),
        ("GET", f"/questions/{b.choice}/results"),
        ("GET", f"/questions/{b.choice}"),
        ("GET", f"/rooms/{b.room.code}/current"),
    ]:
        reply = api.raw(method, API + path, b'{"answer": 2}', secret=a.token)
        assert reply.status == 403, (method, path, reply.text)
    # Nor can a facilitator answer as a participant.
    status, _ = api.answer(b.choice, b.room.key, 2)
    assert status == 403
    assert scene_state(api, b) == before
    assert api.own_answer(b.choice, b.token) == 7


# --------------------------------------------------------------------------- responding


def test_sessions_read_the_services_tally_once_into_the_typed_tally(
    api: LiveService, content: Content, monkeypatch: pytest.MonkeyPatch
) -> None:
    room = api.room()
    token = api.join(room.code)
    qid = api.opened(room, "housing-call")
    api.answered(qid, token, "c")
    session = RemoteSession(api.base, room.code, facilitator_key=room.key, content=content)
    try:
        results = session.results(qid)
        assert results.tally == api.store.tally(qid)  # the same frozen tally as the room core's
        assert results.tally.as_dict() == api.results(qid, room.key)["tally"]  # JSON unchanged
        assert asyncio.run(session.aresults(qid)).tally == results.tally
        sent = api.results(qid, room.key)
        sent["tally"]["total"] = 7
        monkeypatch.setattr(session, "_request", lambda *args, **kwargs: sent)
        with pytest.raises(ClientError, match="malformed tally: the tally's 'total' is 7") as bad:
            session.results(qid)
        assert bad.value.code == "bad_response"
    finally:
        session.close()


def test_respond_revote_and_read_back(api: LiveService) -> None:
    room = api.room()
    token, other = api.join(room.code), api.join(room.code)
    qid = api.opened(room, "housing-call")
    assert api.own_answer(qid, token) is None
    first = api.answered(qid, token, "a")
    assert (first["question"], first["answer"], first["moderation"]) == (qid, "a", None)
    second = api.answered(qid, token, "c")
    assert second["answer"] == "c"
    assert second["updated_at"] >= first["updated_at"]
    tally = api.results(qid, room.key)["tally"]
    assert (tally["total"], tally["counts"]["a"], tally["counts"]["c"]) == (1, 0, 1)
    assert api.own_answer(qid, token) == "c"
    assert api.own_answer(qid, other) is None  # one participant's answer is not another's
    api.answered(qid, other, PASS)
    tally = api.results(qid, room.key)["tally"]
    assert (tally["total"], tally["answered"], tally["passes"]) == (2, 1, 1)


def test_responding_to_a_draft_or_closed_question_is_409(api: LiveService) -> None:
    room = api.room()
    token = api.join(room.code)
    qid = api.add(room, "autonomy-control")["id"]
    status, body = api.answer(qid, token, 4)
    assert (status, body["error"]["code"]) == (409, "question_closed")
    assert "not opened" in body["error"]["message"]
    assert api.own_answer(qid, token) is None

    api.act(room, qid, "open")
    api.answered(qid, token, 4)
    api.act(room, qid, "close")
    status, body = api.answer(qid, token, 9)
    assert (status, body["error"]["code"]) == (409, "question_closed")
    assert "closed" in body["error"]["message"]
    assert api.own_answer(qid, token) == 4
    assert api.results(qid, room.key)["tally"]["median"] == 4
    # Reopening takes answers again.
    api.act(room, qid, "open")
    assert api.answered(qid, token, 9)["answer"] == 9


@pytest.fixture(scope="module")
def answered(api: LiveService) -> tuple[Room, str, dict[str, int], dict[str, Any]]:
    """A room with one open question of each kind, each answered validly by one participant."""
    room = api.room()
    token = api.join(room.code)
    qids = {cid: api.opened(room, cid) for cid in ("housing-call", "autonomy-control")}
    qids["rescuer-closing"] = api.opened(room, "rescuer-closing")
    qids["energy"] = api.opened(room, question=SCALE)
    valid = {
        "housing-call": "c",
        "autonomy-control": 6,
        "rescuer-closing": "What matters most to you here?",
        "energy": 1.5,
    }
    for cid, value in valid.items():
        api.answered(qids[cid], token, value)
    return room, token, qids, valid


INVALID = (422, "invalid_answer")  # text or a number that does not fit the question
NOT_TEXT_OR_NUMBER = (400, "bad_request")  # null, true/false, an array, an object


@pytest.mark.parametrize(
    ("content_id", "answer", "refusal", "words"),
    [
        ("housing-call", "z", INVALID, "'z' is not an option of 'housing-call'"),
        ("housing-call", 3, INVALID, "must be an option id"),
        ("housing-call", ["a"], NOT_TEXT_OR_NUMBER, "not an array"),
        ("housing-call", None, NOT_TEXT_OR_NUMBER, "not null"),
        ("autonomy-control", 11, INVALID, "outside the scale"),
        ("autonomy-control", -1, INVALID, "outside the scale"),
        ("autonomy-control", 2.5, INVALID, "not a point of the scale"),
        ("autonomy-control", "5", INVALID, "must be a number"),
        ("autonomy-control", True, NOT_TEXT_OR_NUMBER, "not true or false"),
        pytest.param(  # once an OverflowError that failed the whole batch (a 500)
            "autonomy-control", 10**400, INVALID, "must be a number", id="autonomy-control-huge-int"
        ),
        ("energy", 1.25, INVALID, "steps of 0.5"),
        ("energy", 5.5, INVALID, "outside the scale"),
        ("rescuer-closing", "y" * 281, INVALID, "the limit is 280"),
        ("rescuer-closing", 42, INVALID, "must be text"),
        ("rescuer-closing", "   ", INVALID, "is empty"),
        ("rescuer-closing", {"text": "hi"}, NOT_TEXT_OR_NUMBER, "not an object"),
    ],
)
def test_invalid_answers_are_refused_and_change_nothing(
    api: LiveService,
    answered: tuple[Room, str, dict[str, int], dict[str, Any]],
    content_id: str,
    answer: Any,
    refusal: tuple[int, str],
    words: str,
) -> None:
    room, token, qids, valid = answered
    qid = qids[content_id]
    version = api.results(qid, room.key)["version"]
    status, body = api.answer(qid, token, answer)
    assert (status, body["error"]["code"]) == refusal, body
    assert words in body["error"]["message"], body["error"]["message"]
    assert api.own_answer(qid, token) == valid[content_id]
    results = api.results(qid, room.key)
    assert results["version"] == version
    assert results["tally"]["total"] == 1


def test_a_rejected_answer_does_not_fail_others_committed_with_it(tmp_path: Path) -> None:
    """Group commit writes many answers in one transaction: one bad value must be refused on
    its own, not roll back (and fail) everyone else's."""
    from peerkit.model import ScaleQuestion

    with SQLiteStore(tmp_path / "batch.db") as store:
        code = store.create_room("batch").room.code
        qid = store.add_question(code, ScaleQuestion("s", "How much?", "Low", "High")).id
        store.set_state(qid, "open")
        a, b, c = (store.join(code).token for _ in range(3))
        results = store.respond_many([(qid, a, 3), (qid, b, 10**400), (qid, c, 8)])
        assert isinstance(results[0], ResponseRecord) and results[0].answer == 3
        assert isinstance(results[1], InvalidAnswer)
        assert isinstance(results[2], ResponseRecord) and results[2].answer == 8
        assert sorted(r.answer for r in store.responses(qid)) == [3, 8]


def test_answer_needs_an_answer_field(api: LiveService) -> None:
    room = api.room()
    token = api.join(room.code)
    qid = api.opened(room, "housing-call")
    status, body = api("PUT", f"/questions/{qid}/response", {"choice": "a"}, token)
    assert (status, body["error"]["code"]) == (400, "bad_request")
    assert api.own_answer(qid, token) is None


# --------------------------------------------------------------------------- results


def test_results_privacy_rule(api: LiveService) -> None:
    room = api.room()  # min_group 3
    tokens = [api.join(room.code) for _ in range(4)]
    qid = api.opened(room, "housing-call")

    # The facilitator always has the tally, even with nobody answering yet.
    results = api.results(qid, room.key)
    assert results["tally"]["total"] == 0
    assert results["visible_to_participants"] is False
    assert "tally" not in api.results(qid, tokens[0])

    for token, answer in zip(tokens, ["a", "c", PASS], strict=False):
        api.answered(qid, token, answer)
    api.act(room, qid, "reveal")
    # Revealed, but only two real answers: a pass does not count towards the minimum.
    seen = api.results(qid, tokens[0])
    assert seen["revealed"] is True and seen["min_group"] == 3
    assert seen["visible_to_participants"] is False
    assert "tally" not in seen
    assert api.results(qid, room.key)["tally"]["counts"]["a"] == 1

    api.answered(qid, tokens[3], "c")
    seen = api.results(qid, tokens[0])
    assert seen["visible_to_participants"] is True
    assert seen["tally"]["counts"] == {"a": 1, "b": 0, "c": 2, "d": 0, "e": 0}
    assert seen["tally"]["passes"] == 1
    assert "reflections" not in seen

    # Hidden again: gone for participants, still there for the facilitator.
    api.act(room, qid, "hide")
    seen = api.results(qid, tokens[0])
    assert seen["visible_to_participants"] is False and "tally" not in seen
    assert api.results(qid, room.key)["tally"]["answered"] == 3


def test_enough_answers_but_not_revealed_stays_private(api: LiveService) -> None:
    room = api.room()
    tokens = [api.join(room.code) for _ in range(3)]
    qid = api.opened(room, "autonomy-control")
    for value, token in zip((2, 5, 9), tokens, strict=True):
        api.answered(qid, token, value)
    seen = api.results(qid, tokens[0])
    assert seen["visible_to_participants"] is False and "tally" not in seen
    api.act(room, qid, "reveal")
    seen = api.results(qid, tokens[0])
    assert seen["tally"]["median"] == 5 and seen["tally"]["n"] == 3


def test_reflections_moderation_and_flags(api: LiveService) -> None:
    room = api.room()
    tokens = [api.join(room.code) for _ in range(4)]
    qid = api.opened(room, "rescuer-closing")
    texts = [
        "What would you like to happen next?",
        "Some days I think about suicide myself.",
        "How can I help you do this yourself?",
    ]
    for token, text in zip(tokens, texts, strict=False):
        api.answered(qid, token, text)
    api.answered(qid, tokens[3], PASS)

    reflections = api.results(qid, room.key)["reflections"]
    assert [r["text"] for r in reflections] == texts  # passes are not reflections
    assert {r["moderation"] for r in reflections} == {"pending"}
    assert [r["flags"] for r in reflections] == [[], ["suicide"], []]

    api.act(room, qid, "reveal")
    seen = api.results(qid, tokens[0])
    assert seen["visible_to_participants"] is True
    assert seen["reflections"] == []  # nothing approved yet
    ids = [r["id"] for r in reflections]
    # A flagged reflection is for the facilitator's private attention, never the group's.
    status, body = api("POST", f"/responses/{ids[1]}/approve", secret=room.key)
    assert (status, body["error"]["code"]) == (409, "flagged")
    assert api.results(qid, room.key)["reflections"][1]["moderation"] == "pending"
    for response_id, action, state in [
        (ids[0], "approve", "approved"),
        (ids[1], "reject", "rejected"),
        (ids[2], "approve", "approved"),
    ]:
        status, body = api("POST", f"/responses/{response_id}/{action}", secret=room.key)
        assert status == 200
        assert body == {"id": response_id, "moderation": state}

    seen = api.results(qid, tokens[1])
    assert seen["reflections"] == [texts[0], texts[2]]
    assert texts[1] not in json.dumps(seen)
    _, current = api("GET", f"/rooms/{room.code}/current", secret=tokens[1])
    assert current["results"]["reflections"] == [texts[0], texts[2]]
    full = api.results(qid, room.key)["reflections"]
    assert [r["moderation"] for r in full] == ["approved", "rejected", "approved"]

    # A changed reflection goes back for moderation.
    api.answered(qid, tokens[0], "What matters to you about it?")
    assert api.results(qid, tokens[2])["reflections"] == [texts[2]]

    # Only reflections can be moderated.
    pass_id = next(r.id for r in api.store.responses(qid) if r.answer == PASS)
    choice = api.opened(room, "housing-call")
    api.answered(choice, tokens[0], "c")
    (choice_response,) = api.store.responses(choice)
    for response_id in (choice_response.id, pass_id):
        status, body = api("POST", f"/responses/{response_id}/approve", secret=room.key)
        assert (status, body["error"]["code"]) == (409, "conflict"), body
    status, body = api("POST", "/responses/999999999/approve", secret=room.key)
    assert (status, body["error"]["code"]) == (404, "not_found")


def test_reset_clears_answers_and_returns_to_draft(api: LiveService) -> None:
    room = api.room()
    token = api.join(room.code)
    qid = api.opened(room, "housing-call")
    api.answered(qid, token, "b")
    api.act(room, qid, "reveal")
    record = api.act(room, qid, "reset")
    assert (record["state"], record["revealed"]) == ("draft", False)
    assert api.results(qid, room.key)["tally"]["total"] == 0
    assert api.own_answer(qid, token) is None
    status, _ = api.answer(qid, token, "b")
    assert status == 409


def test_pre_post_comparison(api: LiveService) -> None:
    room = api.room()
    tokens = [api.join(room.code) for _ in range(4)]
    pre = api.opened(room, "autonomy-control", tag="pre")
    for token, value in zip(tokens, [2, 3, 5, PASS], strict=True):
        api.answered(pre, token, value)
    api.act(room, pre, "close")
    post = api.opened(room, "autonomy-control", tag="post")
    for token, value in zip(tokens, [6, 3, 4], strict=False):
        api.answered(post, token, value)
    path = f"/rooms/{room.code}/pre-post/autonomy-control"

    status, body = api("GET", path, secret=room.key)
    assert status == 200, body
    assert (body["pre"], body["post"]) == (pre, post)
    comparison = body["comparison"]
    assert comparison["paired"] == 3  # the participant who passed is not paired
    assert comparison["moved"] == {"towards_high": 1, "towards_low": 1, "unchanged": 1}
    assert (comparison["pre"]["median"], comparison["post"]["median"]) == (3, 4)
    assert comparison["median_shift"] == 1
    assert comparison["pre"]["passes"] == 1

    # Participants: only once both halves are revealed (each with enough answers).
    for reveal in (None, pre):
        if reveal is not None:
            api.act(room, reveal, "reveal")
        status, body = api("GET", path, secret=tokens[0])
        assert (status, body["error"]["code"]) == (403, "not_revealed"), reveal
    api.act(room, post, "reveal")
    status, body = api("GET", path, secret=tokens[0])
    assert status == 200 and body["comparison"] == comparison

    other = api.room()
    for secret, code, expected in [
        (room.key, "scenario-missing", 404),
        (api.join(other.code), "autonomy-control", 403),
        (other.key, "autonomy-control", 403),
    ]:
        status, body = api("GET", f"/rooms/{room.code}/pre-post/{code}", secret=secret)
        assert status == expected, body
    assert api.raw("GET", API + path).status == 401
    status, _ = api("GET", "/rooms/QQQQQQ/pre-post/autonomy-control", secret=room.key)
    assert status == 404
    # A scenario tagged pre and post cannot be compared as a scale.
    api.add(room, "housing-call", tag="pre")
    api.add(room, "housing-call", tag="post")
    status, body = api("GET", f"/rooms/{room.code}/pre-post/housing-call", secret=room.key)
    assert (status, body["error"]["code"]) == (409, "conflict")


# --------------------------------------------------------------------------- long-poll


def test_results_long_poll_wakes_on_a_new_response(api: LiveService) -> None:
    room = api.room()
    token = api.join(room.code)
    qid = api.opened(room, "housing-call")
    version = api.results(qid, room.key)["version"]
    started = time.monotonic()
    waiting = background(timed(api.results, qid, room.key, f"?after={version}&timeout=20"))
    time.sleep(0.3)
    assert not waiting.done(), "the long-poll returned before anything changed"
    responded = time.monotonic()
    api.answered(qid, token, "e")
    results, returned = waiting.result(timeout=10)
    assert results["version"] > version
    assert results["tally"]["counts"]["e"] == 1
    assert returned - responded < 2.0
    assert returned - started >= 0.3


def test_results_long_poll_times_out_unchanged(api: LiveService) -> None:
    room = api.room()
    qid = api.opened(room, "autonomy-control")
    version = api.results(qid, room.key)["version"]
    started = time.monotonic()
    results = api.results(qid, room.key, f"?after={version}&timeout=0.5")
    elapsed = time.monotonic() - started
    assert 0.45 <= elapsed < 2.0
    assert results["version"] == version
    # An `after` older than the current version answers at once.
    started = time.monotonic()
    assert api.results(qid, room.key, f"?after={version - 1}&timeout=20")["version"] == version
    assert time.monotonic() - started < 1.0


def test_current_long_poll_wakes_when_the_facilitator_acts(api: LiveService) -> None:
    room = api.room()
    token = api.join(room.code)
    qid = api.add(room, "housing-call")["id"]

    def current(after: str, timeout: float = 20) -> dict:
        status, body = api(
            "GET", f"/rooms/{room.code}/current?after={after}&timeout={timeout}", secret=token
        )
        assert status == 200, body
        return body

    _, view = api("GET", f"/rooms/{room.code}/current", secret=token)
    assert view["question"] is None and view["room"] == room.code

    # Nothing happens: back after the timeout with the same etag.
    started = time.monotonic()
    same = current(view["etag"], 0.5)
    assert 0.45 <= time.monotonic() - started < 2.0
    assert same["etag"] == view["etag"]

    for action, check in [
        ("open", lambda v: v["question"]["id"] == qid and v["question"]["state"] == "open"),
        ("reveal", lambda v: v["question"]["revealed"] is True),
        ("close", lambda v: v["question"]["state"] == "closed"),
    ]:
        waiting = background(timed(current, view["etag"]))
        time.sleep(0.3)
        assert not waiting.done(), f"current returned before {action}"
        acted = time.monotonic()
        api.act(room, qid, action)
        new_view, returned = waiting.result(timeout=10)
        assert returned - acted < 2.0
        assert new_view["etag"] != view["etag"]
        assert check(new_view), (action, new_view)
        view = new_view


def test_current_shows_a_participant_only_their_own_answer(api: LiveService) -> None:
    room = api.room()
    me, other = api.join(room.code), api.join(room.code)
    qid = api.opened(room, "housing-call")
    api.answered(qid, me, "e")
    api.answered(qid, other, "b")

    status, view = api("GET", f"/rooms/{room.code}/current", secret=me)
    assert status == 200
    assert view["your_answer"] == "e"
    assert view["results"] is None
    question = view["question"]
    assert (question["id"], question["kind"], question["state"]) == (qid, "choice", "open")
    assert [o["id"] for o in question["options"]] == ["a", "b", "c", "d", "e"]
    assert question["vignette"].startswith("Funmilayo")
    assert question["pass"] == PASS
    text = json.dumps(view)
    for key in ("debrief", "position", "stance"):
        assert key not in text, key
    assert "classic rescue" not in text  # the debrief itself
    assert "autonomy-supporting" not in text
    assert me not in text and other not in text and room.key not in text
    # The same view on the single-question endpoint.
    status, single = api("GET", f"/questions/{qid}", secret=other)
    assert status == 200 and single == question

    _, theirs = api("GET", f"/rooms/{room.code}/current", secret=other)
    assert theirs["your_answer"] == "b"
    # The etag covers what the whole room sees, not the caller's own answer.
    assert theirs["etag"] == view["etag"]

    # Revealed with enough answers: the group's tally, and still no teaching material.
    api.answered(qid, api.join(room.code), "c")
    api.act(room, qid, "reveal")
    _, view = api("GET", f"/rooms/{room.code}/current", secret=me)
    assert view["results"]["counts"] == {"a": 0, "b": 1, "c": 1, "d": 0, "e": 1}
    assert view["your_answer"] == "e"
    text = json.dumps(view)
    for key in ("debrief", "position", "stance", "classic rescue", me, other):
        assert key not in text, key

    # Reflections: nobody sees anyone else's text before it is approved and revealed.
    prompt = api.opened(room, "rescuer-closing")
    api.answered(prompt, other, "A secret-ish reflection from the other person")
    _, view = api("GET", f"/rooms/{room.code}/current", secret=me)
    assert view["question"]["id"] == prompt and view["your_answer"] is None
    assert "secret-ish" not in json.dumps(view)
    # The facilitator may poll too, and has no answer of their own.
    _, facilitator = api("GET", f"/rooms/{room.code}/current", secret=room.key)
    assert facilitator["your_answer"] is None


# --------------------------------------------------------------------------- open pages at scale

#: How long a held page long-poll may wait: far longer than any wake-up may take.
PAGE_WAIT = 40


def follow_pages(
    bases: list[str],
    code: str,
    secrets: list[str],
    act: Callable[[], object],
    *,
    within: float = 5.0,
    stream: bool = False,
) -> tuple[dict, list[dict | None], float]:
    """Hold one participant page per secret (page i on ``bases[i % len(bases)]``), each
    long-polling ``current`` as the page does (or, with ``stream``, reading its event stream),
    while ``act`` changes the room. Returns the final view (read afresh from the first
    service), every page's last view, and the seconds from the end of ``act`` until every page
    had seen the final view (or ``within``, if some never did). A page that missed a wake-up
    would be left waiting for its PAGE_WAIT timeout, or for the stream's next change."""
    from tornado.httpclient import AsyncHTTPClient

    async def main() -> tuple[dict, list[dict | None], float]:
        client = AsyncHTTPClient(force_instance=True, max_clients=len(secrets) + 5)
        last: list[dict | None] = [None] * len(secrets)

        async def get(i: int, after: str | None) -> dict:
            query = f"?after={after}&timeout={PAGE_WAIT}" if after else ""
            reply = await client.fetch(
                f"{bases[i % len(bases)]}{API}/rooms/{code}/current{query}",
                headers={"Authorization": f"Bearer {secrets[i]}"},
                request_timeout=PAGE_WAIT + 20,
            )
            return json.loads(reply.body)

        async def page(i: int) -> None:
            if stream:
                await events(i)
            view = last[i] = await get(i, None)
            while True:
                view = last[i] = await get(i, view["etag"])

        async def events(i: int) -> None:
            buffer = b""

            def received(chunk: bytes) -> None:
                nonlocal buffer
                buffer += chunk
                while b"\n\n" in buffer:
                    event, buffer = buffer.split(b"\n\n", 1)
                    if event.startswith(b"data: "):
                        last[i] = json.loads(event[6:])

            await client.fetch(
                f"{bases[i % len(bases)]}{API}/rooms/{code}/current",
                headers={"Authorization": f"Bearer {secrets[i]}", "Accept": "text/event-stream"},
                streaming_callback=received,
                request_timeout=3600,
            )
            raise AssertionError(f"page {i}: the event stream ended")

        tasks = [asyncio.create_task(page(i)) for i in range(len(secrets))]
        for _ in range(200):
            if all(last):
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.3)  # every page is waiting by now
        await asyncio.get_running_loop().run_in_executor(None, act)
        acted = time.monotonic()
        final = await get(0, None)
        while time.monotonic() - acted < within:
            if all(v is not None and v["etag"] == final["etag"] for v in last):
                break
            await asyncio.sleep(0.02)
        seconds = time.monotonic() - acted
        failed = [t.exception() for t in tasks if t.done() and not t.cancelled()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        client.close()
        assert not failed, f"{len(failed)} pages failed, e.g. {failed[0]!r}"
        return final, last, seconds

    return asyncio.run(main())


def rapid_sequence(
    service: Client, answering: list[Client], room: Room, tokens: list[str]
) -> Callable[[], dict[str, Any]]:
    """The facilitator runs through two questions as fast as the API answers: open, answers,
    close, reveal, hide, reveal, next, answers, close, reveal, reset, open, answers, close,
    reveal. Answers go through ``answering`` in turn. Returns what each token answered last."""
    answers: dict[str, Any] = {}

    def act() -> dict[str, Any]:
        first = service.add(room, "housing-call")["id"]
        second = service.add(room, "housing-call")["id"]

        def answer_all(qid: int, options: str) -> None:
            for n, token in enumerate(tokens[:5]):
                via = answering[n % len(answering)]
                answers[token] = via.answered(qid, token, options[n % len(options)])["answer"]

        service.act(room, first, "open")
        answer_all(first, "abcab")
        for action in ("close", "reveal", "hide", "reveal"):
            service.act(room, first, action)
        service.act(room, second, "open")  # the next question
        answers.clear()
        answer_all(second, "edc")
        for action in ("close", "reveal", "reset", "open"):
            service.act(room, second, action)
        answers.clear()
        answer_all(second, "bd")
        for action in ("close", "reveal"):
            service.act(room, second, action)
        return answers

    return act


def check_pages(final: dict, last: list[dict | None], secrets: list[str], answers: dict) -> None:
    """Every page shows the final view, with its own answer."""
    shared = {k: v for k, v in final.items() if k != "your_answer"}
    assert final["question"]["state"] == "closed" and final["question"]["revealed"] is True
    assert final["results"]["counts"]["b"] == 3 and final["results"]["counts"]["d"] == 2
    for i, view in enumerate(last):
        assert view is not None, f"page {i} saw nothing"
        assert {k: v for k, v in view.items() if k != "your_answer"} == shared, f"page {i}"
        assert view["your_answer"] == answers.get(secrets[i]), f"page {i}"


def test_200_open_pages_all_see_the_end_of_a_rapid_sequence(api: LiveService) -> None:
    room = api.room()
    tokens = [api.join(room.code) for _ in range(20)]
    pages = [tokens[i % len(tokens)] for i in range(199)] + [room.key]  # several tabs each
    answers: dict[str, Any] = {}
    act = rapid_sequence(api, [api], room, tokens)
    final, last, seconds = follow_pages([api.base], room.code, pages, lambda: answers.update(act()))
    check_pages(final, last, pages, answers)
    assert seconds < 5, "some pages were not woken by the last change"
    assert api.app.peerkit.live.waiting() <= len(pages)


def test_200_pages_reading_event_streams_all_see_the_end_of_a_rapid_sequence(
    api: LiveService,
) -> None:
    room = api.room()
    tokens = [api.join(room.code) for _ in range(20)]
    pages = [tokens[i % len(tokens)] for i in range(199)] + [room.key]
    answers: dict[str, Any] = {}
    act = rapid_sequence(api, [api], room, tokens)
    final, last, seconds = follow_pages(
        [api.base], room.code, pages, lambda: answers.update(act()), stream=True
    )
    check_pages(final, last, pages, answers)
    assert seconds < 5, "some streams did not carry the last change"


def test_current_as_an_event_stream(api: LiveService) -> None:
    room = api.room()
    me, other = api.join(room.code), api.join(room.code)
    qid = api.add(room, "housing-call")["id"]
    live = api.app.peerkit.live
    before = live.waiting()
    host, port = urlsplit(api.base).netloc.split(":")
    sock = socket.create_connection((host, int(port)), timeout=10)
    sock.sendall(
        f"GET {API}/rooms/{room.code}/current HTTP/1.1\r\nHost: {host}\r\n"
        f"Authorization: Bearer {me}\r\nAccept: text/event-stream\r\n\r\n".encode()
    )
    received = b""

    def next_event(timeout: float) -> dict | None:
        """The next data event (each arrives whole, in one chunk of the chunked reply)."""
        nonlocal received
        sock.settimeout(timeout)
        try:
            while (start := received.find(b"data: ")) < 0 or b"\n\n" not in received[start:]:
                received += sock.recv(65536)
        except TimeoutError:
            return None
        event, received = received[start + 6 :].split(b"\n\n", 1)
        return json.loads(event)

    try:
        first = next_event(5)
        head = received if first is None else b""
        assert first is not None, head
        assert first["question"] is None and first["room"] == room.code
        acted = time.monotonic()
        api.act(room, qid, "open")
        opened = next_event(5)
        assert opened is not None and time.monotonic() - acted < 2
        assert opened["question"]["id"] == qid and opened["your_answer"] is None
        # Answers, its own included, change nothing the stream shows: no event.
        api.answered(qid, me, "b")
        api.answered(qid, other, "c")
        assert next_event(1.0) is None
        api.act(room, qid, "close")
        closed = next_event(5)
        assert closed is not None and closed["question"]["state"] == "closed"
        assert closed["your_answer"] == "b" and closed["etag"] != opened["etag"]
        assert live.waiting() == before + 1
    finally:
        sock.close()
    assert settled(live.waiting, before) == before  # the page went away: nothing waits for it


def test_an_event_stream_starts_with_the_event_stream_headers(api: LiveService) -> None:
    room = api.room()
    token = api.join(room.code)
    host, port = urlsplit(api.base).netloc.split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(
            f"GET {API}/rooms/{room.code}/current HTTP/1.1\r\nHost: {host}\r\n"
            f"Authorization: Bearer {token}\r\nAccept: text/event-stream\r\n\r\n".encode()
        )
        head = b""
        while b"\r\n\r\n" not in head:
            head += sock.recv(4096)
    lines = head.split(b"\r\n\r\n")[0].decode().split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    assert lines[0] == "HTTP/1.1 200 OK"
    assert headers["content-type"] == "text/event-stream; charset=utf-8"
    assert headers["cache-control"] == "no-store"
    assert headers["transfer-encoding"] == "chunked"
    # A bad token is still a JSON error, before any event.
    reply = api.raw(
        "GET",
        f"{API}/rooms/{room.code}/current",
        secret="not-a-token",
        headers={"Accept": "text/event-stream"},
    )
    assert (reply.status, reply.json["error"]["code"]) == (403, "forbidden")


def test_a_page_is_not_woken_by_answers_that_change_nothing_it_shows(api: LiveService) -> None:
    room = api.room()
    me, other = api.join(room.code), api.join(room.code)
    qid = api.opened(room, "housing-call")
    _, view = api("GET", f"/rooms/{room.code}/current", secret=me)

    def wait(timeout: float) -> dict:
        status, body = api(
            "GET", f"/rooms/{room.code}/current?after={view['etag']}&timeout={timeout}", secret=me
        )
        assert status == 200, body
        return body

    waiting = background(timed(wait, 1.5))
    time.sleep(0.3)
    started = time.monotonic()
    api.answered(qid, me, "c")  # the page's own answer: its PUT's reply says it was saved
    api.answered(qid, other, "a")
    api.answered(qid, other, "b")
    same, returned = waiting.result(timeout=10)
    assert returned - started > 1.0, "an answer woke a page whose view it did not change"
    assert same["etag"] == view["etag"]
    assert same["your_answer"] == "c"  # yet the reply carries the answer just saved

    # Revealed results that answers move do wake it (at most once a second).
    api.act(room, qid, "reveal")
    _, view = api("GET", f"/rooms/{room.code}/current", secret=me)
    assert view["results"] is None  # two answers: below the room's minimum group
    waiting = background(timed(wait, 20))
    time.sleep(0.3)
    answered = time.monotonic()
    api.answered(qid, api.join(room.code), "a")
    moved, returned = waiting.result(timeout=10)
    assert returned - answered < 2.5
    assert moved["results"]["counts"]["a"] == 1 and moved["results"]["total"] == 3


def settled(read: Callable[[], int], expected: int) -> int:
    """``read()`` once it equals ``expected``, or after 2 s, whichever comes first."""
    for _ in range(100):
        if read() == expected:
            break
        time.sleep(0.02)
    return read()


@pytest.mark.parametrize("feed", ["current", "events", "screen"])
def test_a_long_poll_whose_client_went_away_stops_waiting(api: LiveService, feed: str) -> None:
    """A participant's page, the facilitator's change feed and the room's screen: a request
    that did not wait leaves nothing waiting on the room, and a closed connection stops its
    wait at once (nothing is left that would answer a gone client)."""
    room = api.room()
    if feed == "current":
        secret, tag = api.join(room.code), "etag"
        live = api.app.peerkit.live

        def waiting() -> int:
            shown = live.get(room.code)
            return len(shown.waiters) if shown is not None else 0
    else:
        secret, tag = room.key, "version" if feed == "events" else "etag"

        def waiting() -> int:
            return len(api.app.peerkit.worker._changed[room.code])

    _, first = api("GET", f"/rooms/{room.code}/{feed}", secret=secret)
    assert settled(waiting, 0) == 0
    host, port = urlsplit(api.base).netloc.split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(
            f"GET {API}/rooms/{room.code}/{feed}?after={first[tag]}&timeout=50 HTTP/1.1\r\n"
            f"Host: {host}\r\nAuthorization: Bearer {secret}\r\n\r\n".encode()
        )
        assert settled(waiting, 1) == 1
    assert settled(waiting, 0) == 0  # closed: the service stops waiting at once, not after 50 s


# --------------------------------------------------------------------------- export


def read_csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_export_totals_and_responses(api: LiveService) -> None:
    room = api.room()
    tokens = [api.join(room.code) for _ in range(4)]
    choice = api.opened(room, "housing-call", tag="rescuer")
    for token, answer in zip(tokens, ["a", "c", "c", PASS], strict=True):
        api.answered(choice, token, answer)
    scale = api.opened(room, "autonomy-control", tag="pre")
    api.answered(scale, tokens[0], 2)
    api.answered(scale, tokens[1], 8)

    reply = api.raw("GET", f"{API}/rooms/{room.code}/export.csv", secret=room.key)
    assert reply.status == 200
    assert reply.headers["Content-Type"].startswith("text/csv")
    assert f'filename="peerkit-{room.code}-totals.csv"' in reply.headers["Content-Disposition"]
    assert reply.text.splitlines()[0] == "question,question_id,tag,kind,answer,count,percent"
    rows = read_csv(reply.text)
    choice_rows = {r["answer"]: r for r in rows if r["question_id"] == "housing-call"}
    assert {k: (r["count"], r["percent"]) for k, r in choice_rows.items()} == {
        "a": ("1", "33.3"),
        "b": ("0", "0.0"),
        "c": ("2", "66.7"),
        "d": ("0", "0.0"),
        "e": ("0", "0.0"),
        PASS: ("1", ""),
    }
    assert {r["tag"] for r in choice_rows.values()} == {"rescuer"}
    scale_rows = [r for r in rows if r["question_id"] == "autonomy-control"]
    assert len(scale_rows) == 12  # points 0..10 and the passes
    counts = {float(r["answer"]): int(r["count"]) for r in scale_rows if r["answer"] != PASS}
    assert counts == {float(v): (1 if v in (2, 8) else 0) for v in range(11)}
    assert {r["question"] for r in scale_rows} == {"2"} and scale_rows[0]["tag"] == "pre"

    reply = api.raw("GET", f"{API}/rooms/{room.code}/export.csv?rows=responses", secret=room.key)
    assert reply.status == 200
    assert "responses.csv" in reply.headers["Content-Disposition"]
    rows = read_csv(reply.text)
    assert list(rows[0]) == [
        "question",
        "question_id",
        "tag",
        "kind",
        "participant",
        "answer",
        "moderation",
        "answered_at",
    ]
    # Participants are numbered 1..n in order of first answer, the same number across questions,
    # so the scale answers pair with the scenario answers of the same (anonymous) people.
    assert [(r["question_id"], r["participant"], r["answer"]) for r in rows] == [
        ("housing-call", "1", "a"),
        ("housing-call", "2", "c"),
        ("housing-call", "3", "c"),
        ("housing-call", "4", PASS),
        ("autonomy-control", "1", "2.0"),
        ("autonomy-control", "2", "8.0"),
    ]
    assert {r["tag"] for r in rows} == {"rescuer", "pre"}
    assert {r["moderation"] for r in rows} == {""}
    for secret in [*tokens, room.key]:
        assert secret not in reply.text

    status, body = api("GET", f"/rooms/{room.code}/export.csv", secret=tokens[0])
    assert (status, body["error"]["code"]) == (403, "forbidden")
    status, body = api("GET", f"/rooms/{room.code}/export.csv")
    assert status == 401


# --------------------------------------------------------------------------- bad input


def test_malformed_bodies(api: LiveService) -> None:
    room = api.room()
    token = api.join(room.code)
    qid = api.opened(room, "housing-call")
    api.answered(qid, token, "d")
    questions = f"{API}/rooms/{room.code}/questions"
    response = f"{API}/questions/{qid}/response"
    for method, path, secret, data in [
        ("POST", questions, room.key, b'{"content_id": "housing-call"'),
        ("POST", questions, room.key, b'["housing-call"]'),
        ("POST", questions, room.key, b"\x80\x81 not utf-8"),
        ("PUT", response, token, b"{answer: 'a'}"),
        ("PUT", response, token, b'"a"'),
        ("PUT", response, token, b"[" * 5000),  # too deep for the parser: once a 500
        ("POST", f"{API}/rooms", None, b"null"),
    ]:
        reply = api.raw(method, path, data, secret)
        assert reply.status == 400, (path, data[:20], reply.text)
        assert reply.json["error"]["code"] == "bad_json"
    huge = json.dumps({"answer": "x" * 20_000}).encode()
    reply = api.raw("PUT", response, huge, token)
    assert (reply.status, reply.json["error"]["code"]) == (413, "too_large")
    reply = api.raw("POST", questions, b" " * 20_000, room.key)
    assert reply.status == 413
    assert api.own_answer(qid, token) == "d"
    assert len(api.questions(room)) == 1


def raw_exchange(api: LiveService, request: bytes, *, then: bytes = b"") -> bytes:
    """Send ``request`` on a fresh socket, then ``then`` if the socket still takes it; return
    everything the service sends back until it closes the connection."""
    host, port = urlsplit(api.base).netloc.split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(request)
        try:
            sock.sendall(then)
        except OSError:
            pass
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    return received


def test_a_body_over_64_kb_gets_the_json_error_and_the_connection_is_closed(
    api: LiveService,
) -> None:
    room = api.room()
    token = api.join(room.code)
    qid = api.opened(room, "rescuer-closing")
    huge = json.dumps({"answer": "x" * (MAX_REQUEST_BODY + 10)}).encode()
    # http.client sends the whole body at once, as most scripts do.
    reply = api.raw("PUT", f"{API}/questions/{qid}/response", huge, token)
    assert (reply.status, reply.json["error"]["code"]) == (413, "too_large")
    assert str(MAX_REQUEST_BODY) in reply.json["error"]["message"]
    assert reply.headers["X-Content-Type-Options"] == "nosniff"
    head = (
        f"PUT {API}/questions/{qid}/response HTTP/1.1\r\nHost: x\r\n"
        f"Authorization: Bearer {token}\r\nContent-Length: {len(huge)}\r\n"
    )
    # A client that asks before sending (curl does, for large bodies) never has to send it.
    answer = raw_exchange(api, (head + "Expect: 100-continue\r\n\r\n").encode())
    assert answer.startswith(b"HTTP/1.1 413 ") and b"100 Continue" not in answer
    assert b"Connection: close" in answer
    assert json.loads(answer.split(b"\r\n\r\n", 1)[1])["error"]["code"] == "too_large"
    # Sent in chunks with no Content-Length, the HTTP server itself stops it: a bare 400.
    chunked = (
        f"PUT {API}/questions/{qid}/response HTTP/1.1\r\nHost: x\r\n"
        f"Authorization: Bearer {token}\r\nTransfer-Encoding: chunked\r\n\r\n"
    ).encode()
    # (Only the chunk's size line is sent here: a client still sending when the connection
    # closes may see it reset instead of this answer.)
    answer = raw_exchange(api, chunked, then=b"%x\r\n" % len(huge))
    assert answer == b"HTTP/1.1 400 Bad Request\r\n\r\n"
    assert api.own_answer(qid, token) is None  # nothing was stored


def test_what_an_outside_client_sends_is_checked_as_the_api_document_says(
    api: LiveService,
) -> None:
    room = api.room()
    token = api.join(room.code)
    choice = api.opened(room, "housing-call")
    python_words = ("NoneType", "bool", "True", "False", "None", "dict", "list", "int", "float")

    # A long-poll's timeout that is not a number, NaN included, is a 400.
    for timeout in ("nan", "NaN", "-nan", "soon"):
        for path, secret in (
            (f"/rooms/{room.code}/current?after=x&timeout={timeout}", token),
            (f"/questions/{choice}/results?after=1&timeout={timeout}", room.key),
        ):
            status, body = api("GET", path, secret=secret)
            assert (status, body["error"]["code"]) == (400, "bad_request"), (path, body)

    # An answer that is neither text nor a number: 400 bad_request, in JSON's words.
    for answer, kind in (
        (None, "null"),
        (True, "true or false"),
        ([1], "an array"),
        ({}, "an object"),
    ):
        status, body = api.answer(choice, token, answer)
        assert (status, body["error"]["code"]) == (400, "bad_request"), body
        assert kind in body["error"]["message"]
        assert not any(word in body["error"]["message"] for word in python_words), body
    # Text or a number that does not fit the question: 422 invalid_answer.
    scale = api.opened(room, "autonomy-control")
    for qid, answer, words in (
        (choice, 2, "not a number"),
        (scale, "high", "must be a number, not text"),
    ):
        status, body = api.answer(qid, token, answer)
        assert (status, body["error"]["code"]) == (422, "invalid_answer"), body
        assert words in body["error"]["message"]
        assert not any(word in body["error"]["message"] for word in python_words), body
    prompt = api.opened(room, "rescuer-closing")
    status, body = api.answer(prompt, token, 7)
    assert (status, body["error"]["code"]) == (422, "invalid_answer")
    assert "must be text, not a number" in body["error"]["message"]

    # NaN and Infinity are not JSON.
    for data in (b'{"answer": NaN}', b'{"answer": Infinity}', b'{"answer": -Infinity}'):
        reply = api.raw("PUT", f"{API}/questions/{scale}/response", data, token)
        assert (reply.status, reply.json["error"]["code"]) == (400, "bad_json"), reply.text
    reply = api.raw("POST", f"{API}/rooms", b'{"title": "x", "min_group": Infinity}')
    assert (reply.status, reply.json["error"]["code"]) == (400, "bad_json")
    assert api.own_answer(scale, token) is None

    # The title's 200 characters are counted after surrounding spaces are removed.
    status, body = api("POST", "/rooms", {"title": "  " + "t" * 200 + "\n "})
    assert status == 201 and body["title"] == "t" * 200
    status, body = api("POST", "/rooms", {"title": "t" * 201})
    assert (status, body["error"]["code"]) == (400, "bad_request")

    # content_id and an ad hoc question together: neither is silently dropped.
    status, body = api(
        "POST",
        f"/rooms/{room.code}/questions",
        {"content_id": "housing-call", "question": CHOICE},
        room.key,
    )
    assert (status, body["error"]["code"]) == (400, "bad_request")
    assert "not both" in body["error"]["message"]


@pytest.mark.parametrize(
    ("address", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.45.6.7", True),  # all of 127.0.0.0/8
        ("::1", True),
        ("::ffff:127.0.0.1", True),  # IPv4 loopback through a dual-stack socket
        ("192.0.2.40", False),
        ("::ffff:192.0.2.40", False),
        ("", False),
        (None, False),
    ],
)
def test_what_counts_as_this_machine(address: str | None, loopback: bool) -> None:
    from peerkit.service.rooms import _is_loopback

    assert _is_loopback(address) is loopback


def test_text_that_is_not_valid_unicode_is_refused(api: LiveService) -> None:
    """A lone surrogate is valid JSON; stored, it once broke room creation, question tags and,
    from any participant, the facilitator's CSV export (500s)."""
    room = api.room()
    token = api.join(room.code)
    qid = api.opened(room, "rescuer-closing")
    api.answered(qid, token, "Ask what they need.")
    for method, path, secret, data in [
        ("POST", f"{API}/rooms", None, b'{"title": "Room \\ud800"}'),
        (
            "POST",
            f"{API}/rooms/{room.code}/questions",
            room.key,
            b'{"content_id": "housing-call", "tag": "\\udfff"}',
        ),
        ("PUT", f"{API}/questions/{qid}/response", token, b'{"answer": "hello \\ud83d"}'),
    ]:
        reply = api.raw(method, path, data, secret)
        assert (reply.status, reply.json["error"]["code"]) == (400, "bad_json"), reply.text
        assert "Unicode" in reply.json["error"]["message"]
    # A proper pair of surrogates is an ordinary emoji.
    assert (
        api.answered(qid, token, json.loads('"Ask \\ud83d\\ude42"'))["answer"] == "Ask \U0001f642"
    )
    reply = api.raw("GET", f"{API}/rooms/{room.code}/export.csv?rows=responses", secret=room.key)
    assert reply.status == 200
    assert "Ask \U0001f642" in reply.text
    assert len(api.questions(room)) == 1


def test_missing_or_malformed_authorization_is_401(api: LiveService) -> None:
    room = api.room()
    token = api.join(room.code)
    qid = api.opened(room, "housing-call")
    paths = [
        ("GET", f"/rooms/{room.code}/questions"),
        ("POST", f"/rooms/{room.code}/questions"),
        ("GET", f"/rooms/{room.code}/export.csv"),
        ("GET", f"/rooms/{room.code}/current"),
        ("GET", f"/questions/{qid}"),
        ("POST", f"/questions/{qid}/open"),
        ("GET", f"/questions/{qid}/results"),
        ("GET", f"/questions/{qid}/response"),
        ("PUT", f"/questions/{qid}/response"),
    ]
    for headers in [{}, {"Authorization": f"Basic {token}"}, {"Authorization": "Bearer   "}]:
        for method, path in paths:
            data = b'{"answer": "a"}' if method in ("PUT", "POST") else None
            reply = api.raw(method, API + path, data, headers=headers)
            assert reply.status == 401, (method, path, headers, reply.text)
            assert reply.json["error"]["code"] == "unauthenticated"
            assert "Bearer" in reply.json["error"]["message"]
    assert api.own_answer(qid, token) is None
    assert api.questions(room)[0]["state"] == "open"


def test_unknown_rooms_questions_and_responses_are_404(api: LiveService) -> None:
    room = api.room()
    token = api.join(room.code)
    missing = "QQQQQQ" if room.code != "QQQQQQ" else "WWWWWW"
    for method, path, secret in [
        ("GET", f"/rooms/{missing}", None),
        ("GET", f"/rooms/{missing}", room.key),
        ("POST", f"/rooms/{missing}/join", None),
        ("GET", f"/rooms/{missing}/questions", room.key),
        ("POST", f"/rooms/{missing}/questions", room.key),
        ("GET", f"/rooms/{missing}/current", token),
        ("GET", f"/rooms/{missing}/export.csv", room.key),
        ("GET", "/questions/999999999", room.key),
        ("POST", "/questions/999999999/open", room.key),
        ("GET", "/questions/999999999/results", room.key),
        ("GET", "/questions/999999999/response", token),
        ("PUT", "/questions/999999999/response", token),
        ("POST", "/responses/999999999/reject", room.key),
    ]:
        data = b'{"answer": "a"}' if method in ("PUT", "POST") else None
        reply = api.raw(method, API + path, data, secret)
        assert reply.status == 404, (method, path, reply.text)
        assert reply.json["error"]["code"] == "not_found"


def test_unknown_paths_and_wrong_methods_answer_in_json(api: LiveService) -> None:
    room = api.room()
    for path in [
        f"{API}/nope",
        f"{API}/rooms/{room.code}/nope",
        f"{API}/rooms/ABCDEFGHIJKLMNOPQ",  # longer than any code
        f"{API}/questions/abc",
        f"{API}/questions/1/explode",
        "/nothing-here",
    ]:
        for method in ("GET", "POST"):
            reply = api.raw(method, path, b"{}" if method == "POST" else None)
            assert reply.status == 404, (method, path, reply.text)
            assert reply.json["error"]["code"] == "not_found"
    for method, path in [
        ("DELETE", f"{API}/rooms"),
        ("GET", f"{API}/rooms"),
        ("POST", f"{API}/health"),
        ("PATCH", f"{API}/rooms/{room.code}"),
        ("GET", f"{API}/questions/1/open"),
        ("POST", f"{API}/questions/1/response"),
        ("DELETE", f"{API}/rooms/{room.code}/questions"),
        ("GET", f"{API}/responses/1/approve"),
    ]:
        reply = api.raw(method, path, b"{}" if method != "GET" else None, room.key)
        assert reply.status == 405, (method, path, reply.text)
        assert reply.json["error"]["code"] == "method_not_allowed"
        assert method in reply.json["error"]["message"]


def test_bad_query_arguments_are_400(api: LiveService) -> None:
    room = api.room()
    token = api.join(room.code)
    qid = api.opened(room, "housing-call")
    for path in [
        f"/questions/{qid}/results?after=soon",
        f"/questions/{qid}/results?after=1&timeout=long",
        f"/rooms/{room.code}/current?after=x&timeout=forever",
    ]:
        status, body = api("GET", path, secret=token)
        assert (status, body["error"]["code"]) == (400, "bad_request"), path


def test_participant_page_is_served(api: LiveService) -> None:
    room = api.room()
    for path in ("/", f"/join/{room.code}"):
        reply = http_request(api.base, "GET", path)
        assert reply.status == 200
        assert reply.headers["Content-Type"].startswith("text/html")
        assert "frame-ancestors 'none'" in reply.headers["Content-Security-Policy"]
        assert "<html" in reply.text.lower()


def test_everything_is_served_under_the_base_url(tmp_path: Path, content: Content) -> None:
    """Behind JupyterHub's proxy, which forwards the full path, the service lives under
    /services/peerkit/: API, page, static files and join links; nothing answers at the root."""
    service = LiveService(tmp_path / "peerkit.db", content, base_url="services/peerkit")
    try:
        base = "/services/peerkit"
        assert service("GET", "/health")[0] == 404  # the API is not at the root any more
        reply = service.raw("POST", f"{base}{API}/rooms", b"{}")
        assert reply.status == 201, reply.text
        created = reply.json
        assert (
            created["join_url"] == f"http://127.0.0.1:{service.port}{base}/join/{created['code']}"
        )
        token = service.raw("POST", f"{base}{API}/rooms/{created['code']}/join").json["token"]
        current = service.raw("GET", f"{base}{API}/rooms/{created['code']}/current", secret=token)
        assert current.status == 200 and current.json["room"] == created["code"]

        # The page's links are relative, so they work at any depth under any prefix.
        root = service.raw("GET", f"{base}/")
        assert root.status == 200 and 'src="static/app.js"' in root.text
        join = service.raw("GET", f"{base}/join/{created['code']}")
        assert join.status == 200 and 'src="../static/app.js"' in join.text
        assert 'href="../static/app.css"' in join.text and '"/static' not in join.text
        assert service.raw("GET", f"{base}/static/app.js").status == 200
        bare = service.raw("GET", base)
        assert (bare.status, bare.headers["Location"]) == (301, f"{base}/")
        for outside in ("/", f"/join/{created['code']}", "/static/app.js", "/services/peerkitx/"):
            assert service.raw("GET", outside).status == 404, outside
    finally:
        service.stop()


def test_base_url_must_be_a_plain_path(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "x.db")
    with pytest.raises(ValueError, match="plain path"):
        make_app(store, base_url="/services/../peerkit/")
    store.close()


# --------------------------------------------------------------------------- durability


def start_serve(db: Path, log: Path) -> tuple[subprocess.Popen, str]:
    """``python -m peerkit serve --port 0`` on ``db``; returns the process and its address."""
    env = {k: v for k, v in os.environ.items() if k not in ("PEERKIT_CREATE_KEY", "PEERKIT_DATA")}
    with log.open("ab") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "peerkit", "serve", "--port", "0", "--db", str(db)],
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
        )
    assert proc.stdout is not None
    try:
        line = background(proc.stdout.readline).result(timeout=30)
    except Exception:
        proc.kill()
        proc.wait()
        raise
    match = re.search(r"listening on (http://127\.0\.0\.1:\d+)", line)
    if match is None:
        proc.kill()
        proc.wait()
        raise AssertionError(f"unexpected first line {line!r}; log:\n{log.read_text()}")
    return proc, match.group(1)


class Remote(Client):
    def __init__(self, base: str) -> None:
        self.base = base


def test_acknowledged_responses_survive_sigkill(tmp_path: Path) -> None:
    db, log = tmp_path / "durable.db", tmp_path / "serve.log"
    participants, kill_after, workers = 50, 100, 4
    procs: list[subprocess.Popen] = []
    try:
        proc, base = start_serve(db, log)
        procs.append(proc)
        svc = Remote(base)
        room = svc.room("Durability")
        qids = {
            "housing-call": svc.opened(room, "housing-call"),
            "late-night-texts": svc.opened(room, "late-night-texts"),
            "pre": svc.opened(room, "autonomy-control", tag="pre"),
            "post": svc.opened(room, "autonomy-control", tag="post"),
        }
        tokens = [svc.join(room.code) for _ in range(participants)]
        rng = random.Random(20240611)
        items = []
        for token in tokens:
            for name, qid in qids.items():
                value: Any = rng.randint(0, 10) if name in ("pre", "post") else rng.choice("abc")
                items.append((qid, token, value))
        rng.shuffle(items)
        total = len(items)

        acked: list[tuple[int, str, Any]] = []
        failures: list[BaseException] = []
        refusals: list[tuple[int, str]] = []
        lock = threading.Lock()
        enough = threading.Event()
        url = urlsplit(base)

        def work(chunk: list[tuple[int, str, Any]]) -> None:
            conn = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
            for qid, token, value in chunk:
                body = json.dumps({"answer": value}).encode()
                headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
                try:
                    conn.request("PUT", f"{API}/questions/{qid}/response", body, headers)
                    resp = conn.getresponse()
                    text = resp.read().decode()
                except (OSError, http.client.HTTPException) as exc:
                    conn.close()
                    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
                    with lock:
                        failures.append(exc)
                    continue
                with lock:
                    if resp.status == 200 and json.loads(text)["answer"] == value:
                        acked.append((qid, token, value))
                        if len(acked) >= kill_after:
                            enough.set()
                    else:
                        refusals.append((resp.status, text))
            conn.close()

        threads = [
            threading.Thread(target=work, args=(items[i::workers],), daemon=True)
            for i in range(workers)
        ]
        for thread in threads:
            thread.start()
        assert enough.wait(60), f"only {len(acked)} responses acknowledged; log:\n{log.read_text()}"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        for thread in threads:
            thread.join(30)
            assert not thread.is_alive()

        assert proc.returncode == -signal.SIGKILL
        assert refusals == []
        assert len(acked) + len(failures) == total
        assert kill_after <= len(acked) < total, "the kill did not land mid-load"

        proc, base = start_serve(db, log)
        procs.append(proc)
        svc = Remote(base)
        for qid, token, value in acked:
            assert svc.own_answer(qid, token) == value, (qid, value)
        acked_per_question = {qid: sum(1 for q, _, _ in acked if q == qid) for qid in qids.values()}
        for qid, count in acked_per_question.items():
            tally = svc.results(qid, room.key)["tally"]
            assert count <= tally["total"] <= participants
        # The restarted service still takes answers.
        svc.answered(qids["pre"], tokens[0], 10)
        assert svc.own_answer(qids["pre"], tokens[0]) == 10
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()


def test_the_service_tunes_the_garbage_collector_for_many_connections():
    """`peerkit serve` collects the oldest generation rarely and freezes its start-up objects
    (full collections over thousands of open pages' objects were the service's long pauses)."""
    import gc

    from peerkit.service.server import GC_THRESHOLDS, tune_gc

    before = gc.get_threshold()
    try:
        tune_gc()
        assert gc.get_threshold() == GC_THRESHOLDS
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
