"""The phone page, the room's screen and the chart widget in a room's language.

A tiny stand-in catalog for "es" is written to a temporary locale folder (its "translations"
are the English text with a marker, so nothing here depends on the real catalogs). The service
runs in-process with that catalog and "es" as its own language; the room's language is added
to the room's JSON by the browser test where the service does not send it yet.
"""

from __future__ import annotations

import json
import re
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from serving import call_json, serving

from peerkit import i18n
from peerkit.store import SQLiteStore

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
WAIT = 10_000

MESSAGES = [
    "Join a workshop poll",
    "Room code",
    "This page needs JavaScript to take part in the poll.",
    "Group results",
    "Your answer",
    "Language: {language}",
    "Join on your phone",
    "Scenario",
    "No room with that code. Check the code and try again.",
]
PLURALS = [
    ("{count} person chose an option.", "{count} people chose an option."),
    ("{count} answer", "{count} answers"),
    ("{count} person has joined", "{count} people have joined"),
]


def marked(text: str) -> str:
    return f"[es] {text}"


def write_catalog(root: Path) -> None:
    lines = [
        'msgid ""',
        'msgstr ""',
        '"Content-Type: text/plain; charset=UTF-8\\n"',
        '"Language: es\\n"',
        '"Plural-Forms: nplurals=2; plural=(n != 1);\\n"',
        "",
    ]
    for message in MESSAGES:
        lines += [f"msgid {json.dumps(message)}", f"msgstr {json.dumps(marked(message))}", ""]
    for singular, plural in PLURALS:
        lines += [
            f"msgid {json.dumps(singular)}",
            f"msgid_plural {json.dumps(plural)}",
            f"msgstr[0] {json.dumps('[es-one] ' + singular)}",
            f"msgstr[1] {json.dumps('[es-other] ' + plural)}",
            "",
        ]
    folder = root / "es" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    (folder / "peerkit.po").write_text("\n".join(lines), encoding="utf-8")


@pytest.fixture
def spanish(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The stand-in "es" catalog in place of the real ones."""
    write_catalog(tmp_path / "locale")
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path / "locale")
    i18n.translator.cache_clear()
    i18n.page_catalog.cache_clear()
    yield
    i18n.use(None)
    i18n.translator.cache_clear()
    i18n.page_catalog.cache_clear()


@pytest.fixture
def service(tmp_path: Path, spanish: None) -> Iterator[str]:
    """The service in-process, in "es" (``peerkit serve --language es``)."""
    with serving(SQLiteStore(tmp_path / "db.sqlite"), language="es") as url:
        yield url


def get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read().decode("utf-8")


def test_the_pages_come_filled_in_in_the_services_language(service: str) -> None:
    page = get(f"{service}/")
    assert '<html lang="es">' in page
    for message in ("Join a workshop poll", "Room code", MESSAGES[2]):
        assert f">{marked(message)}<" in page, message
    # not yet translated: the English text, as written
    assert ">Skip to content<" in page
    room = call_json(f"{service}/api/v1/rooms", "POST", {"title": "Sala"})
    present = get(f"{service}/present/{room['code']}")
    assert '<html lang="es">' in present and f">{marked('Join on your phone')}<" in present
    assert 'src="../static/present.js"' in present
    strings = call_json(f"{service}/api/v1/strings/es")
    assert strings["messages"]["Room code"] == marked("Room code")
    assert strings["plurals"]["{count} answer"]["one"] == "[es-one] {count} answer"


def test_the_chart_widget_carries_the_kernels_language(spanish: None) -> None:
    from peerkit.widgets.chart import ChartWidget

    assert ChartWidget().strings == i18n.page_catalog("en")
    i18n.use("es")
    assert ChartWidget().strings["messages"]["Your answer"] == marked("Your answer")


def with_language(route) -> None:
    """Answer a request with the service's JSON plus the room's ``language`` ("es")."""
    response = route.fetch()
    body = response.json()
    body.setdefault("language", "es")
    route.fulfill(response=response, json=body)


def test_the_phone_page_and_the_screen_in_the_rooms_language(service: str) -> None:
    from chromium import chromium
    from playwright.sync_api import expect

    room = call_json(f"{service}/api/v1/rooms", "POST", {"title": "Sala", "min_group": 1})
    code, key = room["code"], room["facilitator_key"]
    question = {
        "kind": "choice",
        "id": "tea-or-coffee",
        "prompt": "Tea or coffee?",
        "options": [{"id": "tea", "text": "Tea"}, {"id": "coffee", "text": "Coffee"}],
    }
    api = f"{service}/api/v1"
    qid = call_json(f"{api}/rooms/{code}/questions", "POST", {"question": question}, key)["id"]
    call_json(f"{api}/questions/{qid}/open", "POST", {}, key)
    for answer in ("tea", "coffee"):
        token = call_json(f"{api}/rooms/{code}/join", "POST", {})["token"]
        call_json(f"{api}/questions/{qid}/response", "PUT", {"answer": answer}, token)
    call_json(f"{api}/questions/{qid}/reveal", "POST", {}, key)

    with chromium() as browser:
        context = browser.new_context(viewport={"width": 390, "height": 844})
        context.set_default_timeout(WAIT)
        page = context.new_page()
        problems: list[str] = []
        page.on("pageerror", lambda exc: problems.append(str(exc)))
        page.route(re.compile(rf".*/api/v1/rooms/{code}$"), with_language)

        # the join form, before any room: the service's language
        page.goto(f"{service}/")
        expect(page.get_by_role("heading", level=1)).to_have_text(marked("Join a workshop poll"))
        page.get_by_label(marked("Room code")).fill("ZZZZZZ")
        page.get_by_role("button", name="Join").click()
        expect(page.locator("#code-error")).to_have_text(
            marked("No room with that code. Check the code and try again.")
        )

        # the room, in its language: the page's words, the chart's, counts by plural rule
        page.goto(f"{service}/join/{code}")
        results = page.get_by_role("region", name=marked("Group results"))
        expect(results).to_contain_text("[es-other] 2 people chose an option.")
        expect(page.locator(".pk-count").first).to_contain_text("1 (50")
        assert page.evaluate("document.documentElement.lang") == "es"
        expect(page.locator("#room-lang")).to_have_text(marked("Language: Español"))
        page.get_by_label("Tea").check()
        page.get_by_role("button", name="Submit").click()
        expect(results.locator(".pk-own-note")).to_have_text(marked("Your answer"))
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "phone-page-es.png"), full_page=True)

        # the room's screen
        screen = context.new_page()
        screen.on("pageerror", lambda exc: problems.append(str(exc)))
        screen.route(re.compile(rf".*/api/v1/rooms/{code}/screen.*"), with_language)
        screen.goto(room["presenter_url"].replace("https://workshop.example", service))
        expect(screen.locator("#people")).to_have_text("[es-other] 3 people have joined")
        expect(screen.locator("#join-h")).to_have_text(marked("Join on your phone"))
        expect(screen.locator(".pk-own-note")).to_have_count(0)
        expect(screen.locator(".kind")).to_have_text(marked("Scenario"))
        assert screen.evaluate("document.documentElement.lang") == "es"
        for opened in (page, screen):
            opened.unroute_all(behavior="ignoreErrors")
        context.close()
    assert not problems, problems
