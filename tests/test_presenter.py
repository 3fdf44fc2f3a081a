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
from nodetools import axe_script
from serving import call as http
from serving import call_json, serving
from test_store import STORE_FACTORIES

from peerkit.content import Content
from peerkit.store import SQLiteStore, Store

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"

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


def test_the_screen_is_in_the_rooms_language(any_service: str) -> None:
    english = new_room(any_service)
    assert english.screen(english.token)[1]["language"] == "en"
    made = call_json(f"{any_service}/api/v1/rooms", "POST", {"title": "Pantalla", "language": "es"})
    spanish = Room(any_service, made["code"], made["facilitator_key"], made["presenter_url"])
    status, view = spanish.screen(spanish.token)
    assert (status, view["language"]) == (200, "es")


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


# --------------------------------------------------------------------------- the page in Chromium

VIEWPORTS = {"1920x1080": (1920, 1080), "1280x720": (1280, 720)}
FOLLOW_MS = 1000  # the screen follows the facilitator within a second


@pytest.fixture(scope="module")
def browser() -> Iterator:
    from chromium import chromium

    with chromium() as launched:
        yield launched


@pytest.fixture(scope="module")
def screen_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from peerkit.content import load_content

    store = SQLiteStore(tmp_path_factory.mktemp("screen") / "peerkit.db")
    with serving(store, content=load_content()) as url:
        yield url


def check_axe(page, label: str) -> None:
    """axe-core on the page as it is now: no critical and no serious violations. (Injected
    through the DevTools protocol, which the page's Content-Security-Policy does not govern.)"""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate("() => {" + axe_script().read_text(encoding="utf-8") + "\n}")
    result = page.evaluate("async () => await axe.run(document)")
    bad = [
        (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
        for v in result["violations"]
        if v["impact"] in ("critical", "serious")
    ]
    assert bad == [], f"{label}: {bad}"


def shoot(page, name: str) -> None:
    """Keep a screenshot, after checking that nothing on the screen runs off its bottom."""
    overflow = page.evaluate(
        "Math.max(...[...document.querySelectorAll('.stage *, .join *')]"
        ".map(e => e.getBoundingClientRect().bottom)) - window.innerHeight"
    )
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"presenter-{name}.png"))
    assert overflow <= 0, f"{name}: the screen runs {overflow:.0f} px past the bottom"


NO_DISTRIBUTION = """() => ({
    text: document.body.innerText,
    drawn: document.querySelectorAll('.results, .pk-chart, .pk-bars, .pk-fill, svg').length,
})"""


@pytest.mark.parametrize("size", list(VIEWPORTS))
def test_the_presenter_display_in_every_state(browser, screen_service: str, size: str) -> None:
    from playwright.sync_api import expect

    width, height = VIEWPORTS[size]
    room = new_room(screen_service, min_group=3)
    page = browser.new_page(viewport={"width": width, "height": height})
    requests, problems = [], []
    page.on("request", lambda r: requests.append(r.url))
    page.on("console", lambda m: m.type == "error" and problems.append(m.text))
    page.goto(room.presenter_url)
    stage = page.locator("#stage-h")

    # waiting, with the join code, link and a QR code that loaded
    expect(stage).to_have_text("Screen test")
    expect(page.locator("#code")).to_have_text(room.code)
    expect(page.locator("#join-url")).to_have_text(f"{screen_service}/join/{room.code}")
    expect(page.locator("#qr")).to_be_visible()
    assert page.evaluate("document.getElementById('qr').naturalWidth") > 100
    assert "#token" not in page.url  # the token leaves the address bar
    check_axe(page, f"{size} waiting")
    shoot(page, f"{size}-1-waiting")

    # a question opened through the API is on the screen within a second
    qid = room.add(CHOICE)
    started = time.monotonic()
    room.act(qid, "open")
    expect(stage).to_have_text("The lift home", timeout=FOLLOW_MS)
    assert time.monotonic() - started < 1.0
    letters = page.locator(".options .letter").all_inner_texts()
    assert letters == ["a", "b", "c"]

    # open with three answers: the number, and nothing about how they are spread
    people = [room.join() for _ in range(4)]
    for token, answer in zip(people, ["ask", "ask", "yes"], strict=False):
        room.answer(token, qid, answer)
    expect(page.locator("#answers")).to_have_text("3 answers", timeout=FOLLOW_MS)
    seen = page.evaluate(NO_DISTRIBUTION)
    assert seen["drawn"] == 0
    assert "%" not in seen["text"] and "Group results" not in seen["text"]
    assert not re.search(r"\b[0-3]\s*\(", seen["text"])  # no "2 (…)" per-option figure
    check_axe(page, f"{size} open")
    shoot(page, f"{size}-2-open-3-answers")

    # revealed: bars and counts that match the tally
    room.act(qid, "close", "reveal")
    rows = page.locator(".results .pk-bar")
    expect(rows).to_have_count(3, timeout=FOLLOW_MS)
    tally = room.call("GET", f"/questions/{qid}/results", secret=room.key)["tally"]
    for index, option in enumerate(CHOICE["options"]):
        row = rows.nth(index)
        count = tally["counts"][option["id"]]
        pct = round(100 * count / tally["answered"])
        expect(row.locator(".pk-letter")).to_have_text("abc"[index])
        expect(row.locator(".pk-label")).to_have_text(option["text"])
        expect(row.locator(".pk-count")).to_have_text(f"{count} ({pct}%)")
        width_px = row.locator(".pk-fill").evaluate("e => e.getBoundingClientRect().width")
        assert (width_px > 0) == (count > 0)
    check_axe(page, f"{size} revealed")
    shoot(page, f"{size}-3-revealed")

    # Hide takes it away
    room.act(qid, "hide")
    expect(page.locator(".results")).to_have_count(0, timeout=FOLLOW_MS)
    assert "%" not in page.evaluate("document.body.innerText")
    check_axe(page, f"{size} hidden again")

    # below the minimum group size, a reveal shows nothing of the answers
    small = room.add(CHOICE | {"title": "A second lift"})
    room.act(small, "open")
    room.answer(people[0], small, "no")
    room.answer(people[1], small, "yes")
    room.act(small, "reveal")
    expect(page.locator(".notice")).to_contain_text("at least 3 people", timeout=FOLLOW_MS)
    seen = page.evaluate(NO_DISTRIBUTION)
    assert seen["drawn"] == 0 and "%" not in seen["text"]
    check_axe(page, f"{size} below the minimum group")
    shoot(page, f"{size}-4-below-minimum")

    # approved reflections as a wall
    wall = room.add(TEXT)
    room.act(wall, "open")
    for token, text in zip(people, ["Ask first", "Wait a moment", "Say what I see"], strict=False):
        room.answer(token, wall, text)
    pending = room.call("GET", f"/questions/{wall}/results", secret=room.key)["reflections"]
    for reflection in pending[:2]:
        room.call("POST", f"/responses/{reflection['id']}/approve", {}, room.key)
    room.act(wall, "close", "reveal")
    expect(page.locator(".wall li")).to_have_text(["Ask first", "Wait a moment"], timeout=FOLLOW_MS)
    assert "Say what I see" not in page.evaluate("document.body.innerText")
    check_axe(page, f"{size} reflections")
    shoot(page, f"{size}-5-reflections")

    # the slider's distribution and the before/after shift
    ids = {}
    for tag, values in (("pre", [2, 3, 5]), ("post", [6, 7, 5])):
        body = {"content_id": "autonomy-control", "tag": tag}
        ids[tag] = room.call("POST", f"/rooms/{room.code}/questions", body, room.key)["id"]
        room.act(ids[tag], "open")
        for token, value in zip(people, values, strict=False):
            room.answer(token, ids[tag], value)
        room.act(ids[tag], "close", "reveal")
    chart = page.locator('.results .pk-chart[data-kind="pre-post"]')
    expect(chart.locator(".pk-series")).to_have_text(
        ["Before: 3 answered", "After: 3 answered"], timeout=FOLLOW_MS
    )
    expect(chart.locator(".pk-columns")).to_have_count(2)
    expect(chart.locator(".pk-lean")).to_contain_text("2 moved")
    check_axe(page, f"{size} slider with shift")
    shoot(page, f"{size}-6-slider-shift")

    origin = screen_service + "/"
    assert all(u.startswith(origin) or u.startswith("data:") for u in requests), requests
    assert problems == []
    page.close()


def test_the_display_reconnects_by_itself(browser, screen_service: str) -> None:
    from playwright.sync_api import expect

    room = new_room(screen_service)
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    page.goto(room.presenter_url)
    expect(page.locator("#stage-h")).to_have_text("Screen test")
    page.route("**/screen*", lambda route: route.abort())  # the network drops
    room.act(room.add(CHOICE), "open")  # answers the request in flight; the next one fails
    expect(page.locator("#connection")).to_contain_text("Reconnecting")
    check_axe(page, "reconnecting")
    room.act(room.add(CHOICE | {"title": "While the screen was away"}), "open")
    page.unroute("**/screen*")
    expect(page.locator("#stage-h")).to_have_text("While the screen was away", timeout=10_000)
    expect(page.locator("#connection")).to_have_text("")

    # a withdrawn link says so, and stops
    room.call("POST", f"/rooms/{room.code}/presenter", {}, room.key)
    room.act(room.add(CHOICE | {"title": "After the new link"}), "open")
    expect(page.locator("#stage-h")).to_have_text("This screen cannot follow the room")
    check_axe(page, "withdrawn link")
    page.close()


# --------------------------------------------------------------------------- the facilitator's side


def test_the_console_links_the_presenter_display(live_service, content: Content) -> None:
    from peerkit.client import RemoteSession
    from peerkit.widgets import FacilitatorConsole

    room = new_room(live_service.url)
    public = "http://192.0.2.10:8765"  # as phones see the service
    session = RemoteSession(
        live_service.url, room.code, facilitator_key=room.key, public_url=public, content=content
    )
    assert session.presenter_url == room.presenter_url.replace(live_service.url, public)
    console = FacilitatorConsole(session, module="rescuer")
    label = console.room_label.value
    link = re.search(r"<a href='([^']+)' target='_blank' rel='noopener'>([^<]+)</a>", label)
    assert link and link.group(1) == session.presenter_url
    assert link.group(2) == "Open the presenter display"
    assert "Language: English" in label  # the room's language, in its own name
    participant = RemoteSession(live_service.url, room.code, content=content)
    assert participant.presenter_url is None


def test_the_console_names_the_rooms_language(live_service, content: Content) -> None:
    from peerkit import i18n
    from peerkit.client import RemoteSession
    from peerkit.widgets import FacilitatorConsole

    made = call_json(f"{live_service.url}/api/v1/rooms", "POST", {"language": "es"})
    try:
        session = RemoteSession(
            live_service.url, made["code"], facilitator_key=made["facilitator_key"], content=content
        )
        assert session.language == "es"
        console = FacilitatorConsole(session, module="rescuer")
        assert "Idioma: Español" in console.room_label.value
        console.close()
    finally:
        i18n.use("en")


def test_each_question_cell_runs_its_own_question(live_service, content: Content) -> None:
    from peerkit.client import RemoteSession
    from peerkit.watcher import QuestionState, Update
    from peerkit.workshop import Workshop

    room = new_room(live_service.url)
    session = RemoteSession(live_service.url, room.code, facilitator_key=room.key, content=content)
    workshop = Workshop("rescuer", session)
    vote, _chart = workshop.scenario(0).children
    (controls,) = vote.controls.children
    # the answer inputs are a read-only preview, with no submit button
    assert vote.options.disabled and vote.options in vote.children
    assert vote.submit not in vote.children
    assert {a for a, b in controls.buttons.items() if not b.disabled} == {"open"}
    assert "Not opened yet" in controls.seen.value

    controls.do("open")  # adds the scenario to the room and opens it
    _, view = room.screen(room.token)
    assert view["question"]["source"] == workshop.scenarios[0].id
    assert view["question"]["state"] == "open"
    assert controls.state == "open"
    assert {a for a, b in controls.buttons.items() if not b.disabled} == {"close", "reveal"}

    qid = view["question"]["id"]
    for answer in ("a", "b", "a"):
        room.answer(room.join(), qid, answer)
    results = session.results(qid)
    controls.show(Update(None, QuestionState(qid, "x", "", "open", False, 9), results))
    assert controls.answers == 3
    assert "3 answers. Only you see the chart" in controls.seen.value
    assert room.screen(room.token)[1]["results"] is None

    controls.do("close")
    controls.do("reveal")
    _, view = room.screen(room.token)
    assert view["question"]["revealed"] and view["results"]["counts"]["a"] == 2
    assert "Revealed" in controls.seen.value
    controls.do("hide")
    assert room.screen(room.token)[1]["results"] is None
    assert {a for a, b in controls.buttons.items() if not b.disabled} == {"open", "reveal"}


def test_participants_keep_their_inputs_and_get_no_controls(live_service, content) -> None:
    from peerkit import rehearse
    from peerkit.client import RemoteSession
    from peerkit.workshop import Workshop

    room = new_room(live_service.url)
    participant = RemoteSession(live_service.url, room.code, content=content)
    for cell in (
        Workshop("rescuer", participant).scenario(0).children[0],
        Workshop("rescuer", participant).reflection(),
    ):
        assert cell.controls.children == ()
        control = cell._controls()[0]
        if hasattr(control, "submit_label"):  # a keyboard-safe input draws its own Submit
            assert control in cell.children and control.submit_label == cell.submit.description
        else:
            assert cell.submit in cell.children or any(
                cell.submit in getattr(c, "children", ()) for c in cell.children
            )
        assert not control.disabled
    # a rehearsal's facilitator runs each question from its cell too
    session = rehearse(n=5, seed=3)
    slider = Workshop("rescuer", session).slider().children[0]
    (controls,) = slider.controls.children
    controls.do("close")
    session.watcher.sync()
    assert controls.state == "closed" and controls.answers == 5
