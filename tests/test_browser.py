"""The participant page in a real browser: headless Chromium against the real service process.

Skipped when Playwright or Debian's Chromium (/usr/bin/chromium) is missing. Nothing here
downloads a browser: Playwright drives the system Chromium.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from chromium import chromium
from labrun import running_service
from playwright import sync_api
from serving import call_json

expect = sync_api.expect

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
LISTENING = re.compile(r"peerkit service listening on (http://\S+)")
WAIT = 10_000  # ms: generous for a slow CI machine, still bounded
XSS = "<script>window.__xss = 1</script><b>bold</b>"
SAVED = "Your answer is saved. You can change it while the question is open."
PREFIX = "/services/peerkit/"


# --------------------------------------------------------------------------- the service


@dataclass
class Service:
    url: str

    def call(self, method: str, path: str, body: object = None, token: str | None = None) -> dict:
        """One JSON API call; fails the test on any HTTP error."""
        return call_json(self.url + "/api/v1" + path, method, body, token)


@dataclass
class Room:
    service: Service
    code: str
    key: str

    def add(self, body: dict) -> int:
        return self.service.call("POST", f"/rooms/{self.code}/questions", body, self.key)["id"]

    def act(self, question: int, action: str) -> None:
        self.service.call("POST", f"/questions/{question}/{action}", {}, self.key)

    def results(self, question: int) -> dict:
        return self.service.call("GET", f"/questions/{question}/results", token=self.key)

    def participant(self) -> str:
        return self.service.call("POST", f"/rooms/{self.code}/join", {})["token"]

    def answer(self, token: str, question: int, answer: object) -> None:
        self.service.call("PUT", f"/questions/{question}/response", {"answer": answer}, token)


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    with serve(tmp_path_factory.mktemp("browser-service")) as service:
        yield service


@pytest.fixture(scope="module")
def prefixed_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """The service under a path, as behind JupyterHub's proxy."""
    with serve(tmp_path_factory.mktemp("prefixed-service"), "--base-url", PREFIX) as service:
        yield service


@contextmanager
def serve(tmp: Path, *args: str) -> Iterator[Service]:
    """``peerkit serve`` as its own process on a free port, stopped at the end."""
    with running_service(tmp, *args) as running:
        yield Service(running.url)


@pytest.fixture
def room(service: Service) -> Room:
    created = service.call("POST", "/rooms", {"title": "Browser test"})
    return Room(service, created["code"], created["facilitator_key"])


# --------------------------------------------------------------------------- the browser


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with chromium() as browser:
        yield browser


@pytest.fixture
def page(browser: sync_api.Browser) -> Iterator[sync_api.Page]:
    """A fresh phone-sized page (own storage), collecting console errors and page errors."""
    context = browser.new_context(viewport={"width": 390, "height": 844})
    context.set_default_timeout(WAIT)
    page = context.new_page()
    page.problems = []  # type: ignore[attr-defined]
    page.on("pageerror", lambda exc: page.problems.append(f"page error: {exc}"))
    page.on(
        "console",
        lambda msg: (
            msg.type == "error"
            and page.problems.append(f"console: {msg.text} at {msg.location.get('url')}")
        ),
    )
    yield page
    context.close()


def screenshot(page: sync_api.Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)


# --------------------------------------------------------------------------- tests


def test_live_session(page: sync_api.Page, room: Room) -> None:
    scenario = room.add({"content_id": "housing-call"})
    scale = room.add({"content_id": "autonomy-control"})
    text = room.add(
        {
            "question": {
                "kind": "text",
                "id": "closing",
                "prompt": "One thing you will try?",
                "max_length": 200,
            }
        }
    )
    others = [room.participant(), room.participant()]
    room.act(scenario, "open")

    # Join from the front page, typing the code in lower case with a space in it.
    page.goto(room.service.url + "/")
    code_box = page.get_by_label("Room code")
    code_box.fill(f"{room.code[:3].lower()} {room.code[3:].lower()}")
    code_box.press("Enter")
    expect(page).to_have_url(f"{room.service.url}/join/{room.code}")
    page.evaluate("window.__sameLoad = true")  # gone if the page ever reloads

    # The scenario: pick option c with the keyboard, submit with Enter.
    expect(page.get_by_role("heading", level=1)).to_have_text("The housing office call")
    expect(page.locator(".vignette")).to_contain_text("Funmilayo")
    expect(page.get_by_role("group", name="What would you do next?")).to_be_visible()
    option_a = page.locator("#opt-a")
    option_a.focus()
    page.keyboard.press("Space")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    expect(page.locator("#opt-c")).to_be_checked()
    page.keyboard.press("Enter")
    notice = page.locator(".notice")
    expect(notice).to_have_text(SAVED)
    assert room.results(scenario)["tally"]["counts"]["c"] == 1

    # Change the answer by clicking another option and re-submitting.
    page.get_by_label(re.compile(r"^I'd say I used to dread calls")).check()
    expect(notice).to_contain_text("You have changed your answer")
    page.get_by_role("button", name="Change answer").click()
    expect(notice).to_have_text(SAVED)
    counts = room.results(scenario)["tally"]["counts"]
    assert (counts["c"], counts["e"]) == (0, 1)
    expect(page.locator("#opt-e")).to_be_checked()

    # Two more people vote; the facilitator closes the scenario: controls off, message on.
    room.answer(others[0], scenario, "c")
    room.answer(others[1], scenario, "e")
    room.act(scenario, "close")
    expect(page.locator("p.closed")).to_contain_text("This question is closed")
    for control in page.locator("form.answer input, form.answer button").all():
        expect(control).to_be_disabled()
    expect(page.locator("#opt-e")).to_be_checked()

    # Revealed: every option with its count and share as text, no reload.
    room.act(scenario, "reveal")
    results = page.locator("section.results")
    expect(results.get_by_role("heading", name="Group results")).to_be_visible()
    expect(results).to_contain_text("3 people chose an option.")
    # Drawn by the shared chart module (peerkit/static/chart.js), as text.
    expect(results.locator("li", has_text="I'd say I used to dread")).to_contain_text("2 (67%)")
    expect(results.locator("li", has_text="I'd say I used to dread")).to_contain_text("Your answer")
    expect(results.locator("li", has_text="I'd ask what feels hardest")).to_contain_text("1 (33%)")
    expect(results.locator("li", has_text="I'd ring the housing office")).to_contain_text("0 (0%)")
    screenshot(page, "participant-choice-results.png")

    # The facilitator moves on to the scale; the page follows live.
    room.act(scale, "open")
    expect(page.get_by_role("heading", level=1)).to_have_text("Deciding for, or deciding with?")
    slider = page.get_by_role("slider")
    reading = page.locator("#scale-reading")
    submit = page.get_by_role("button", name="Submit")
    expect(reading).to_have_text("Move the slider to choose.")
    expect(slider).to_have_attribute("aria-valuetext", "Not answered yet")
    expect(submit).to_be_disabled()
    expect(page.get_by_text("I decide for them", exact=True)).to_be_visible()
    expect(page.get_by_text("They decide; I support", exact=True)).to_be_visible()
    slider.focus()
    for _ in range(3):
        page.keyboard.press("ArrowRight")  # from the midpoint 5 to 8
    expect(slider).to_have_value("8")
    expect(reading).to_contain_text("I offer options and information, and they choose")
    expect(slider).to_have_attribute("aria-describedby", re.compile(r"\bscale-reading\b"))
    expect(submit).to_be_enabled()
    submit.click()
    expect(notice).to_have_text(SAVED)
    room.answer(others[0], scale, 6)
    room.answer(others[1], scale, 9)
    room.act(scale, "reveal")
    results = page.locator("section.results")
    expect(results).to_contain_text("3 answered, 0 passed. Median 8; middle half from 7 to 8.5.")
    expect(results.locator(".pk-col")).to_have_count(11)
    expect(results.locator("figcaption")).to_contain_text("8: 1 (33%)")
    expect(results).to_contain_text("Your answer: 8")
    screenshot(page, "participant-scale.png")

    # A reflection that looks like markup stays text, before and after a reload.
    room.act(scale, "close")
    room.act(text, "open")
    area = page.get_by_label("One thing you will try?")
    expect(area).to_be_visible()
    expect(page.locator("#reflection-note")).to_contain_text("shown to the group only if")
    area.fill(XSS)
    expect(page.locator("#reflection-count")).to_have_text(f"{len(XSS)} / 200 characters")
    page.get_by_role("button", name="Submit").click()
    expect(notice).to_have_text(SAVED)
    assert page.evaluate("window.__sameLoad") is True, "the page reloaded during the session"

    page.reload()  # same participant: the stored token brings the saved answer back
    expect(page.get_by_label("One thing you will try?")).to_have_value(XSS)
    expect(notice).to_have_text(SAVED)

    room.answer(others[0], text, "Ask before I act.")
    room.answer(others[1], text, "Wait a little longer.")
    for reflection in room.results(text)["reflections"]:
        room.service.call("POST", f"/responses/{reflection['id']}/approve", {}, room.key)
    room.act(text, "reveal")
    shared = page.locator("section.results .reflections li")
    expect(shared).to_have_count(3)
    expect(shared.filter(has_text="window.__xss")).to_have_text(XSS)
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert page.locator("b").count() == 0
    assert page.locator("body script").count() == 0

    assert page.problems == []  # type: ignore[attr-defined]
    screenshot(page, "participant-page.png")


def test_closed_question_on_arrival(page: sync_api.Page, room: Room) -> None:
    scenario = room.add({"content_id": "housing-call"})
    room.act(scenario, "open")
    room.act(scenario, "close")
    page.goto(f"{room.service.url}/join/{room.code.lower()}")
    expect(page.locator("p.closed")).to_contain_text("This question is closed")
    expect(page.locator("#opt-a")).to_be_disabled()
    expect(page.get_by_role("button", name="Submit")).to_be_disabled()
    expect(page.locator(".notice")).to_have_text("You did not answer this question.")
    assert page.problems == []  # type: ignore[attr-defined]


def test_waiting_then_live_question(page: sync_api.Page, room: Room) -> None:
    page.goto(f"{room.service.url}/join/{room.code}")
    expect(page.get_by_text("Waiting for the facilitator to open a question")).to_be_visible()
    prompt = room.add({"question": {"kind": "text", "id": "check-in", "prompt": "How are you?"}})
    room.act(prompt, "open")
    expect(page.get_by_label("How are you?")).to_be_visible()
    page.get_by_role("button", name="Pass").click()
    expect(page.locator(".notice")).to_contain_text("You passed")
    assert room.results(prompt)["tally"]["passes"] == 1


def test_unknown_room_code(page: sync_api.Page, service: Service) -> None:
    page.goto(service.url + "/")
    page.get_by_label("Room code").fill("12")
    page.get_by_role("button", name="Join").click()
    expect(page.locator("#code-error")).to_contain_text("6 letters or numbers")
    expect(page).to_have_url(service.url + "/")

    page.goto(service.url + "/join/ZZZZZZ")
    expect(page.locator("#code-error")).to_have_text(
        "No room with that code. Check the code and try again."
    )
    expect(page.get_by_label("Room code")).to_have_value("ZZZZZZ")


def test_reconnects_after_network_failure(page: sync_api.Page, room: Room) -> None:
    failing = True

    def current(route: sync_api.Route) -> None:
        if failing:
            route.fulfill(status=503, body="")
        else:
            route.continue_()

    page.route("**/api/v1/rooms/*/current*", current)
    page.goto(f"{room.service.url}/join/{room.code}")
    status = page.locator("#status")
    expect(status).to_have_text("Reconnecting…")
    expect(status).to_have_attribute("role", "status")
    expect(status).to_have_attribute("aria-live", "polite")
    failing = False  # the next retry, at most about 2.4 s later, gets through
    expect(page.get_by_text("Waiting for the facilitator to open a question")).to_be_visible()
    expect(status).to_have_text("")


def test_under_a_path_prefix(page: sync_api.Page, prefixed_service: Service) -> None:
    """Behind JupyterHub's proxy the page lives at /services/peerkit/: its styles, script, API
    calls and join links all stay under that path."""
    service = prefixed_service
    assert service.url.endswith(PREFIX.rstrip("/"))
    created = service.call("POST", "/rooms", {"title": "Under a prefix"})
    assert created["join_url"] == f"{service.url}/join/{created['code']}"
    room = Room(service, created["code"], created["facilitator_key"])
    scenario = room.add({"content_id": "housing-call"})
    room.act(scenario, "open")
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))

    page.goto(service.url + "/")
    page.get_by_label("Room code").fill(room.code.lower())
    page.get_by_role("button", name="Join").click()
    expect(page).to_have_url(f"{service.url}/join/{room.code}")
    page.locator("#opt-a").check()
    page.get_by_role("button", name="Submit").click()
    expect(page.locator(".notice")).to_have_text(SAVED)
    assert room.results(scenario)["tally"]["answered"] == 1

    origin = service.url.removesuffix(PREFIX.rstrip("/"))
    assert requested and all(url.startswith(service.url + "/") for url in requested), requested
    assert any(url.startswith(f"{origin}{PREFIX}static/app.css") for url in requested)
    assert page.evaluate("getComputedStyle(document.querySelector('.bar')).display") != "inline"
    assert page.problems == []  # type: ignore[attr-defined]
