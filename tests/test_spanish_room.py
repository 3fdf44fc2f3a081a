"""A Spanish room shows no English interface text.

Everything a person reads in a room whose language is "es" is gathered: the notebook widgets in
their states, the workshop's headings and notes, a chart's description, the phone page in every
state and the presenter display (both in Chromium), and what the command line prints. None of it
may contain an English interface string, that is a msgid of the English catalog
(``peerkit/locale/peerkit.pot``) whose Spanish translation differs from it.

Content is not interface: the widgets and workshop text run on the Spanish module in
``examples/es``, and the questions put to the phone page are written in Spanish here, so any
English found is the interface's.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterable, Iterator
from functools import cache
from pathlib import Path

import ipywidgets as w
import pytest
from babel.messages.pofile import read_po
from serving import call_json, serving

from peerkit import i18n
from peerkit.store import SQLiteStore

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "peerkit" / "locale" / "peerkit.pot"
SPANISH_CATALOG = ROOT / "peerkit" / "locale" / "es" / "LC_MESSAGES" / "peerkit.po"
SPANISH_CONTENT = ROOT / "examples" / "es"
WAIT = 10_000
SHOTS = Path("/tmp")

#: A msgid is looked for only when its own words (placeholders and punctuation left out) have at
#: least this many letters: shorter ones ("OK", "a", "{count} %") are not recognisably English
#: on their own and turn up inside Spanish words and numbers.
MIN_LETTERS = 4
PLACEHOLDER = re.compile(r"\{[^{}]*\}")
#: What a placeholder became: a little text on the same line.
WILDCARD = r"[^\n]{0,80}?"
#: Addresses are not words: "/join/ABC123" is not the English "Join".
ADDRESS = re.compile(r"https?://\S+|/\S+")


# --------------------------------------------------------------------------- the English strings


@cache
def english_matchers() -> dict[str, re.Pattern[str]]:
    """msgid -> a pattern finding it in shown text, for every English interface string (plural
    forms each on their own) except those the Spanish catalog deliberately writes the same
    ("Total", a name). An entry the catalog leaves untranslated or fuzzy counts as English: a
    Spanish room would show it in English."""
    with TEMPLATE.open("rb") as f:
        template = read_po(f)
    with SPANISH_CATALOG.open("rb") as f:
        spanish = read_po(f, locale="es")
    matchers: dict[str, re.Pattern[str]] = {}
    for message in template:
        if not message.id:
            continue
        forms = list(message.id) if isinstance(message.id, tuple | list) else [message.id]
        translated = spanish.get(message.id, context=message.context)
        shown: set[str] = set()
        if translated is not None and not translated.fuzzy:
            strings = translated.string
            shown = set(strings) if isinstance(strings, tuple | list) else {strings}
            if "" in shown:
                shown = set()
        for form in forms:
            if form in shown or form in matchers:
                continue
            pattern = matcher(form)
            if pattern is not None:
                matchers[form] = pattern
    return matchers


def matcher(msgid: str) -> re.Pattern[str] | None:
    """The literal parts of ``msgid`` escaped, each placeholder any short run of text, with word
    boundaries at the ends; None for a msgid too short to tell (see MIN_LETTERS)."""
    literal = PLACEHOLDER.split(msgid)
    if sum(ch.isalpha() for part in literal for ch in part) < MIN_LETTERS:
        return None
    body = WILDCARD.join(r"\s+".join(map(re.escape, re.split(r"\s+", part))) for part in literal)
    start = r"\b" if msgid[:1].isalnum() else ""
    end = r"\b" if msgid[-1:].isalnum() else ""
    return re.compile(start + body + end, re.DOTALL | re.IGNORECASE)


@cache
def longest_words(msgid: str) -> str:
    """The longest literal part of ``msgid``, lower-case, one space between words: text that
    holds no such run cannot hold the msgid (a quick test before the pattern's search)."""
    parts = (" ".join(part.split()).lower() for part in PLACEHOLDER.split(msgid))
    return max(parts, key=len)


def english_in(text: str) -> dict[str, str]:
    """The English interface strings that occur in ``text`` (web and file addresses left out),
    each with the text around where it was found."""
    text = ADDRESS.sub(" ", text)
    flat = " ".join(text.split()).lower()
    found = {}
    for msgid, pattern in english_matchers().items():
        if longest_words(msgid) not in flat:
            continue
        hit = pattern.search(text)
        if hit:
            found[msgid] = text[max(0, hit.start() - 30) : hit.end() + 30]
    return found


def assert_spanish(texts: Iterable[str], where: str) -> None:
    found = english_in("\n".join(t for t in texts if t))
    assert not found, f"{where}: English interface text " + "".join(
        f"\n  {msgid!r} in ...{around!r}..." for msgid, around in sorted(found.items())
    )


def test_the_finder_finds_english_planted_in_spanish_text() -> None:
    matchers = english_matchers()
    assert "Submit answer" in matchers and "Your answer" in matchers
    assert "Submit answer" in english_in("Tu respuesta se guardó. Submit answer, por favor.")
    # a placeholder stands for whatever the page wrote there
    plural = next(m for m in matchers if m.startswith("{count} ") and m.endswith("answers"))
    assert plural in english_in(f"Hay {plural.replace('{count}', '12')} aquí.")
    # word boundaries: an English word inside a longer word is not a hit
    assert "Submit answer" not in english_in("Resubmit answersheet")
    assert english_in("Únete a la sala con el código de la pantalla: /join/ABC123") == {}


# --------------------------------------------------------------------------- the kernel's side


@pytest.fixture(autouse=True)
def english_afterwards() -> Iterator[None]:
    """The kernel back in English after each test (sessions here switch it to Spanish)."""
    yield
    i18n.use(None)


@pytest.fixture(scope="module")
def spanish_kernel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Rehearsals and self-paced sessions in Spanish, on the Spanish module."""
    patch = pytest.MonkeyPatch()
    patch.setenv("PEERKIT_LANGUAGE", "es")
    patch.setenv("PEERKIT_HOME", str(tmp_path_factory.mktemp("home")))
    patch.setenv("PEERKIT_DATA", str(SPANISH_CONTENT))
    patch.delenv("PEERKIT_SERVICE_URL", raising=False)
    patch.delenv("PEERKIT_REHEARSE", raising=False)
    yield
    patch.undo()
    i18n.use(None)


@pytest.fixture(scope="module")
def content(spanish_kernel: None):
    from peerkit.content import load_content

    return load_content(SPANISH_CONTENT)


#: Keys of a view model whose values are identifiers the code reads, never shown as they are.
MACHINE_KEYS = frozenset({"kind", "state", "id", "tag", "content_id", "icon"})


def strings_in(value: object) -> Iterator[str]:
    """Every string in a view model (dicts, lists), identifiers left out."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            if key not in MACHINE_KEYS:
                yield from strings_in(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from strings_in(item)


TEXT_TRAITS = ("description", "tooltip", "placeholder", "label", "text", "valuetext")
TEXT_TRAITS += ("low", "high", "view", "_titles", "titles")
#: Widgets whose value is text to read (elsewhere a value is an answer or an option's id).
TEXT_VALUES = (w.HTML, w.HTMLMath, w.Label)


def shown_text(widget: w.Widget) -> list[str]:
    """Every string a person may read in ``widget`` and its children: descriptions, values of
    HTML and labels, tooltips, placeholders, option labels and the text a view model carries
    (not ``strings``: the catalog a browser-side widget translates from, keyed by msgid)."""
    found: list[str] = []

    def walk(node: object) -> None:
        if not isinstance(node, w.Widget):
            return
        for name in TEXT_TRAITS:
            if node.has_trait(name) and name != "strings":
                found.extend(strings_in(getattr(node, name)))
        if isinstance(node, TEXT_VALUES):
            found.append(node.value)
        if node.has_trait("options"):  # (label, value) pairs or labels: the labels
            found.extend(o[0] if isinstance(o, tuple | list) else str(o) for o in node.options)
        if isinstance(node, w.Tab):
            found.extend(node.get_title(i) or "" for i in range(len(node.children)))
        for child in getattr(node, "children", ()) or ():
            walk(child)
        for name in ("controls", "status", "chart"):
            part = getattr(node, name, None)
            if isinstance(part, w.Widget) and part not in (getattr(node, "children", ()) or ()):
                walk(part)

    walk(widget)
    return found


def refresh(widget: w.Widget) -> None:
    """Bring a widget tree up to date with the room (what the watcher does in a notebook)."""
    if hasattr(widget, "refresh"):
        widget.refresh()
    for child in getattr(widget, "children", ()) or ():
        refresh(child)


def test_every_widget_in_every_state_is_spanish(content) -> None:
    from peerkit import FacilitatorConsole, Workshop
    from peerkit.rehearsal import RehearsalSession
    from peerkit.widgets import AutonomySlider, LivePollChart, ReflectionBox, ScenarioVote

    session = RehearsalSession(6, seed=3, content=content)
    assert session.language == "es" and i18n.active() == "es"
    module = content.ordered_modules()[0].id
    ws = Workshop(module, session)
    shown: list[tuple[str, w.Widget]] = [
        ("mode note", ws.mode_note()),
        ("intro", ws.intro()),
        ("console", ws.console()),
        ("discussion", ws.discussion()),
        ("more scenarios", ws.more_scenarios()),
    ]
    for index in range(len(ws.scenarios)):
        shown += [
            (f"scenario {index}", ws.scenario(index)),
            (f"debrief {index}", ws.debrief(index)),
        ]
    shown += [("slider", ws.slider()), ("pre", ws.slider(content.pre_post_scale.id, "pre"))]
    shown += [("post", ws.slider(content.pre_post_scale.id, "post")), ("pre/post", ws.pre_post())]
    if content.prompts_for(module):
        shown.append(("reflection", ws.reflection()))
    scenario = ws.scenarios[0].id
    scale = content.pre_post_scale.id
    prompt = content.prompts_for(module)[0].id
    shown += [
        ("vote", ScenarioVote(session, scenario)),
        ("slider widget", AutonomySlider(session, scale)),
        ("reflection widget", ReflectionBox(session, prompt)),
        ("chart", LivePollChart(session, scenario)),
        ("console widget", FacilitatorConsole(session, module=module)),
    ]

    def check(state: str) -> None:
        for name, widget in shown:
            refresh(widget)
            assert_spanish(shown_text(widget), f"{name}, {state}")

    check("as first shown")
    vote = next(widget for name, widget in shown if name == "vote")
    vote.submit.click()  # nothing chosen yet: the widget says so
    check("submitted empty")
    vote.options.value = vote.options.options[0][1]
    vote.submit.click()
    check("answered")
    for action in ("close", "reveal"):
        for content_id, tag in ((scenario, ""), (scale, "pre"), (scale, "post"), (prompt, "")):
            info = session.question(content_id, tag)
            if info.state == "draft":
                session.act(info.id, "open")
            if action != "close" or info.state != "closed":
                session.act(info.id, action)
        check({"close": "closed", "reveal": "revealed"}[action])
    console = next(widget for name, widget in shown if name == "console widget")
    for button in getattr(console, "buttons", {}).values():
        if not button.disabled and button.description:
            assert_spanish([button.description, button.tooltip], "console button")
    session.act(session.question(scenario).id, "hide")
    check("hidden again")


def test_the_self_paced_widgets_are_spanish(content, tmp_path: Path) -> None:
    from peerkit import Workshop
    from peerkit.solo import solo_session

    session = solo_session(content=content)
    assert session.language == "es"
    module = content.ordered_modules()[0].id
    ws = Workshop(module, session)
    widgets = [ws.mode_note(), ws.console(), ws.scenario(0), ws.slider(), ws.pre_post()]
    widgets += [ws.export(str(tmp_path / "exports"))]
    if content.prompts_for(module):
        widgets.append(ws.reflection())
    for widget in widgets:
        refresh(widget)
        assert_spanish(shown_text(widget), "self-paced")
    vote = widgets[2].children[0]
    vote.options.value = vote.options.options[0][1]
    vote.submit.click()
    refresh(widgets[2])
    assert_spanish(shown_text(widgets[2]), "self-paced, answered")


def test_the_workshop_text_is_spanish(content, tmp_path: Path) -> None:
    from peerkit import Workshop
    from peerkit.rehearsal import RehearsalSession

    ws = Workshop(content.ordered_modules()[0].id, RehearsalSession(3, seed=1, content=content))
    texts = [
        ws.support().data,
        ws.next().data,
        ws.sessions().data,
        ws.recap().data,
        ws.timetable().data,
    ]
    texts += [ws.note(name).data for name in content.notes.facilitator]
    texts += [ws.vote_note(i).data for i in range(len(ws.scenarios))]
    texts += [ws.intro().value, ws.discussion().value, ws.export(str(tmp_path / "exports")).value]
    assert_spanish(texts, "workshop text")


def test_a_chart_description_is_spanish(content) -> None:
    from peerkit import chartview
    from peerkit.rehearsal import RehearsalSession

    session = RehearsalSession(12, seed=2, content=content)
    scenario = next(iter(content.scenarios.values())).question
    scale = content.pre_post_scale.question
    texts: list[str] = []

    def collect(value: object) -> None:
        texts.extend(strings_in(value))

    for question, own in ((scenario, scenario.option_ids[0]), (scale, scale.max)):
        info = session.question(question.id, "pre" if question is scale else "")
        session.act(info.id, "open")
        tally = session.results(info.id).tally
        for kwargs in ({}, {"own_answer": own}, {"below_minimum": 50}):
            collect(chartview.describe(question, tally, **kwargs))
        collect(chartview.describe(question, tally, hidden_from_participants=True))
        for state in chartview.STATES:
            collect(chartview.chart_view(question, tally, state=state, min_group=3, own_answer=own))
    post = session.question(scale.id, "post")
    session.act(post.id, "open")
    comparison = session.pre_post(scale.id)
    collect(chartview.describe_pre_post(scale, comparison))
    collect(chartview.pre_post_view(scale, comparison, min_group=3))
    assert_spanish(texts, "chart description")


# --------------------------------------------------------------------------- the command line


def test_the_start_up_block_and_validate_are_spanish(tmp_path: Path) -> None:
    from peerkit.lab import room_block

    i18n.use("es")
    room = {"code": "ABC123", "language": "es"}
    block = room_block(room, "Taller", "http://x/join/ABC123", "http://x/present/ABC123#token=t")
    assert_spanish([block], "peerkit lab's block")
    env = {"PEERKIT_LANGUAGE": "es", "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    for args in (["validate", str(SPANISH_CONTENT)], ["validate"]):
        run = subprocess.run(
            [sys.executable, "-m", "peerkit", *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
            check=False,
        )
        assert_spanish([run.stdout, run.stderr], f"peerkit {' '.join(args)}")


# --------------------------------------------------------------------------- the browser

CHOICE = {
    "kind": "choice",
    "id": "llamada",
    "title": "La llamada a la oficina de vivienda",
    "prompt": "¿Qué harías?",
    "vignette": "Lucía lleva semanas sin atreverse a llamar a la oficina de vivienda.",
    "options": [
        {"id": "a", "text": "Llamo yo por ella."},
        {"id": "b", "text": "Le pregunto qué le resulta más difícil."},
        {"id": "c", "text": "Le cuento cómo lo viví yo."},
    ],
}
SCALE = {
    "kind": "scale",
    "id": "postura",
    "prompt": "¿Dónde te sitúas?",
    "min": 0,
    "max": 10,
    "step": 1,
    "low_label": "Decido por la persona",
    "high_label": "La persona decide",
}
TEXT = {"kind": "text", "id": "nota", "prompt": "Algo que vas a probar", "max_length": 200}

READ = """() => {
    const attrs = ['title', 'aria-label', 'placeholder', 'aria-valuetext', 'alt'];
    const bits = [document.title, document.body.innerText];
    for (const el of document.querySelectorAll('*')) {
        for (const a of attrs) { if (el.hasAttribute(a)) bits.push(el.getAttribute(a)); }
    }
    return {lang: document.documentElement.lang, text: bits.join('\\n')};
}"""


#: For each drawn scale: whether its two pole labels overlap.
POLES = """() => [...document.querySelectorAll('svg.pk-columns')].map((svg) => {
    const [a, b] = [...svg.querySelectorAll('.pk-pole')].map((e) => e.getBoundingClientRect());
    return a.right > b.left && a.bottom > b.top && b.bottom > a.top;
})"""


#: For each drawn scale: how many of its column counts a median line crosses.
MEDIAN_CROSSINGS = """() => [...document.querySelectorAll('svg.pk-columns')].map((svg) => {
    const lines = [...svg.querySelectorAll('.pk-median')].map((e) => e.getBoundingClientRect());
    const counts = [...svg.querySelectorAll('.pk-col-count')].map((e) => e.getBoundingClientRect());
    return counts.filter((c) => lines.some((l) =>
        l.left < c.right && l.right > c.left && l.top < c.bottom && l.bottom > c.top)).length;
})"""


@pytest.fixture(scope="module")
def spanish_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from peerkit.content import load_content

    store = SQLiteStore(tmp_path_factory.mktemp("es-service") / "peerkit.db")
    with serving(store, language="es", content=load_content(SPANISH_CONTENT)) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from chromium import chromium

    with chromium() as launched:
        yield launched


class SpanishRoom:
    def __init__(self, url: str, min_group: int) -> None:
        body = {"title": "Sala de prueba", "min_group": min_group, "language": "es"}
        made = call_json(f"{url}/api/v1/rooms", "POST", body)
        assert made.get("language") == "es"
        self.api, self.code, self.key = f"{url}/api/v1", made["code"], made["facilitator_key"]
        self.presenter_url = made["presenter_url"]

    def add(self, question: dict | None = None, **body: str) -> int:
        """A question written here, or one from the content (``content_id=``, ``tag=``)."""
        if question is not None:
            body["question"] = question
        return call_json(f"{self.api}/rooms/{self.code}/questions", "POST", body, self.key)["id"]

    def act(self, qid: int, *actions: str) -> None:
        for action in actions:
            call_json(f"{self.api}/questions/{qid}/{action}", "POST", {}, self.key)

    def answer(self, qid: int, answer: object) -> None:
        token = call_json(f"{self.api}/rooms/{self.code}/join", "POST", {})["token"]
        call_json(f"{self.api}/questions/{qid}/response", "PUT", {"answer": answer}, token)


def read(page, state: str, seen: dict[str, str]) -> None:
    got = page.evaluate(READ)
    assert got["lang"] == "es", state
    assert_spanish([got["text"]], state)
    seen[state] = got["text"]


def test_the_phone_page_in_every_state_is_spanish(browser, spanish_service: str) -> None:
    from playwright.sync_api import expect
    from test_presenter import check_axe

    url = spanish_service
    room = SpanishRoom(url, min_group=3)
    context = browser.new_context(viewport={"width": 390, "height": 844})
    context.set_default_timeout(WAIT)
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    seen: dict[str, str] = {}

    page.goto(f"{url}/")
    expect(page.locator("#join-heading")).not_to_be_empty()
    read(page, "join form", seen)
    page.locator("#code").fill("ZZZZZZ")
    page.locator("#join-button").click()
    expect(page.locator("#code-error")).not_to_be_empty()
    read(page, "unknown room code", seen)
    check_axe(page, "join form with an error")

    page.goto(f"{url}/join/{room.code}")
    expect(page.locator("#room-label")).to_contain_text("Sala de prueba")
    expect(page.locator("#room-view")).not_to_be_empty()
    read(page, "waiting", seen)

    choice = room.add(CHOICE)
    room.act(choice, "open")
    expect(page.locator("#opt-a")).to_be_visible()
    read(page, "choice open", seen)
    page.locator("#opt-b").check()
    page.locator("form.answer button[type=submit]").click()
    expect(page.locator(".notice")).not_to_be_empty()
    read(page, "choice answered", seen)
    page.locator("#opt-c").check()
    read(page, "choice being changed", seen)
    page.locator("form.answer button[type=submit]").click()
    expect(page.locator("#opt-c")).to_be_checked()
    page.wait_for_timeout(300)
    read(page, "choice changed", seen)
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "peerkit-phone-es.png"), full_page=True)
    check_axe(page, "choice answered")
    room.act(choice, "close")
    expect(page.locator("p.closed")).to_be_visible()
    read(page, "choice closed", seen)

    # revealed with one answer only: below the minimum group
    room.act(choice, "reveal")
    expect(page.locator(".notice").last).not_to_be_empty()
    page.wait_for_timeout(300)
    read(page, "results below the minimum", seen)

    scale = room.add(SCALE)
    room.act(scale, "open")
    expect(page.get_by_role("slider")).to_be_visible()
    read(page, "scale open", seen)
    page.get_by_role("slider").press("ArrowRight")
    page.locator("form.answer button[type=submit]").click()
    expect(page.locator(".notice")).not_to_be_empty()
    read(page, "scale answered", seen)
    for value in (3, 7, 8):
        room.answer(scale, value)
    room.act(scale, "close", "reveal")
    expect(page.locator("section.results")).to_be_visible()
    read(page, "scale revealed", seen)

    text = room.add(TEXT)
    room.act(text, "open")
    expect(page.locator("#reflection")).to_be_visible()
    read(page, "reflection open", seen)
    page.locator("#reflection").fill("Preguntar antes de ayudar")
    page.locator("form.answer button[type=submit]").click()
    expect(page.locator(".notice")).not_to_be_empty()
    read(page, "reflection answered", seen)

    revealed = room.add(CHOICE | {"id": "otra", "title": "Otra llamada"})
    room.act(revealed, "open")
    page.locator("#opt-a").check()
    page.locator("form.answer button[type=submit]").click()
    expect(page.locator(".notice")).not_to_be_empty()
    for answer in ("a", "b", "pass"):
        room.answer(revealed, answer)
    room.act(revealed, "close", "reveal")
    expect(page.locator("section.results")).to_be_visible()
    read(page, "choice revealed", seen)
    check_axe(page, "results revealed")
    room.act(revealed, "hide")
    expect(page.locator("section.results")).to_be_hidden()
    read(page, "results hidden again", seen)

    # the network drops: following the room, and saving an answer
    dropped = room.add(CHOICE | {"id": "sin-red", "title": "Sin red"})
    room.act(dropped, "open")
    expect(page.locator("#opt-a")).to_be_visible()
    page.route("**/api/v1/**", lambda route: route.abort())
    page.locator("#opt-a").check()
    page.locator("form.answer button[type=submit]").click()
    page.wait_for_function(
        "document.getElementById('status').textContent"
        " || document.querySelector('form.answer .notice.error')"
    )
    read(page, "offline", seen)
    page.unroute("**/api/v1/**")
    context.close()
    assert not problems, problems


def test_the_presenter_display_is_spanish(browser, spanish_service: str) -> None:
    from playwright.sync_api import expect
    from test_presenter import check_axe

    room = SpanishRoom(spanish_service, min_group=3)
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    page.set_default_timeout(WAIT)
    seen: dict[str, str] = {}
    page.goto(room.presenter_url)
    expect(page.locator("#stage-h")).to_have_text("Sala de prueba")
    read(page, "screen waiting", seen)
    check_axe(page, "screen waiting")

    choice = room.add(CHOICE)
    room.act(choice, "open")
    expect(page.locator("#stage-h")).to_have_text(CHOICE["title"])
    for answer in ("a", "b", "b"):
        room.answer(choice, answer)
    expect(page.locator("#answers")).to_contain_text("3")
    read(page, "screen open", seen)
    room.act(choice, "close", "reveal")
    expect(page.locator(".results .pk-bar")).to_have_count(3)
    read(page, "screen revealed", seen)
    page.screenshot(path=str(SHOTS / "peerkit-presenter-es.png"))
    check_axe(page, "screen revealed")
    room.act(choice, "hide")
    expect(page.locator(".results")).to_have_count(0)
    read(page, "screen hidden", seen)

    small = room.add(CHOICE | {"id": "poca", "title": "Pocas respuestas"})
    room.act(small, "open")
    room.answer(small, "a")
    room.act(small, "reveal")
    expect(page.locator(".notice")).not_to_be_empty()
    read(page, "screen below the minimum", seen)

    scale = room.add(SCALE)
    room.act(scale, "open")
    for value in (2, 5, 9):
        room.answer(scale, value)
    room.act(scale, "close", "reveal")
    expect(page.locator(".results")).to_have_count(1)
    read(page, "screen scale revealed", seen)

    wall = room.add(TEXT)
    room.act(wall, "open")
    room.answer(wall, "Esperar un momento")
    room.act(wall, "close", "reveal")
    expect(page.locator("#stage-h")).to_have_text(TEXT["prompt"])
    page.wait_for_timeout(300)
    read(page, "screen reflections", seen)

    # the before/after shift of the module's pre/post slider
    people = [call_json(f"{room.api}/rooms/{room.code}/join", "POST", {})["token"] for _ in "abc"]
    scale_id = "autonomy-control"
    for tag, values in (("pre", [2, 3, 5]), ("post", [6, 7, 5])):
        qid = room.add(content_id=scale_id, tag=tag)
        room.act(qid, "open")
        for token, value in zip(people, values, strict=True):
            body = {"answer": value}
            call_json(f"{room.api}/questions/{qid}/response", "PUT", body, token)
        room.act(qid, "close", "reveal")
    expect(page.locator('.results .pk-chart[data-kind="pre-post"]')).to_have_count(1)
    read(page, "screen before and after", seen)
    # the poles, longer in Spanish, each stay readable: apart on one line or on two
    poles = page.evaluate(POLES)
    assert poles and all(not overlap for overlap in poles), poles
    # the median line stands on a column here: it leaves that column's count readable
    assert page.evaluate(MEDIAN_CROSSINGS) == [0, 0]
    page.screenshot(path=str(SHOTS / "peerkit-presenter-es-shift.png"))

    # the network drops, then the link is withdrawn
    page.route("**/screen*", lambda route: route.abort())
    room.act(room.add(CHOICE | {"id": "red", "title": "Sin red"}), "open")
    expect(page.locator("#connection")).not_to_be_empty()
    read(page, "screen reconnecting", seen)
    page.unroute("**/screen*")
    expect(page.locator("#stage-h")).to_have_text("Sin red")
    call_json(f"{room.api}/rooms/{room.code}/presenter", "POST", {}, room.key)
    room.act(room.add(CHOICE | {"id": "nuevo", "title": "Otro enlace"}), "open")
    expect(page.locator("#stage-h")).not_to_have_text("Sin red")
    read(page, "screen with a withdrawn link", seen)
    page.close()
