"""Workshop notebooks end to end: JupyterLab, real kernels, the widgets and the store.

The poll service and JupyterLab run as their own processes (one of each for the module); a
workshop notebook is opened in Debian's Chromium (driven by Playwright, nothing downloaded) and
run as a participant would: an answer given with the mouse and one given with the keyboard
reach the service's SQLite store, keys pressed in a vote never reach JupyterLab's notebook
shortcuts, and axe-core finds no serious problem in the widgets' outputs in group, rehearsal
and solo modes. Screenshots are kept in ``test-artifacts/``.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from chromium import chromium
from labrun import (
    ROOT,
    Lab,
    Room,
    Service,
    code_cells,
    expect,
    kernel_pythons,
    notebook_variant,
    open_and_run,
    running_lab,
    running_service,
    wait_all_ran,
)
from nodetools import axe_script
from playwright import sync_api

from peerkit.content import load_content
from peerkit.store import SQLiteStore

ARTIFACTS = ROOT / "test-artifacts"
NOTEBOOK = "02-rescuer.ipynb"
MODULE = "rescuer"
ERROR_OUTPUT = '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'
WIDGET_RENDER = 30_000  # ms: the vote widget drawn after Run All
SAVE = 30_000  # ms: "Saved: ..." after Submit (queued behind the remaining cells)

pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("lab-e2e")


@pytest.fixture(scope="module")
def service(folder: Path) -> Iterator[Service]:
    with running_service(folder) as running:
        yield running


@pytest.fixture(scope="module")
def room(service: Service) -> Room:
    return service.room("JupyterLab end-to-end test")


@pytest.fixture(scope="module")
def lab(folder: Path, service: Service, room: Room) -> Iterator[Lab]:
    """JupyterLab whose kernels are participants in ``room`` (no facilitator key)."""
    with running_lab(folder, PEERKIT_SERVICE_URL=service.url, PEERKIT_ROOM=room.code) as running:
        try:
            yield running
        except BaseException:
            (ARTIFACTS / "lab-e2e-jupyter.log").write_text(running.log.read_text())
            raise


@pytest.fixture(scope="module")
def browser() -> Iterator[sync_api.Browser]:
    with chromium() as running:
        yield running


def _page(browser: sync_api.Browser) -> sync_api.Page:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    return context.new_page()


@pytest.fixture(scope="module")
def participant(browser: sync_api.Browser, lab: Lab, service: Service, room: Room):
    """The rescuer notebook run by a participant, with its first scenario opened first."""
    scenario = load_content().scenarios_for(MODULE)[0]
    qid = service.api(f"/rooms/{room.code}/questions", {"content_id": scenario.id}, room.key)["id"]
    service.api(f"/questions/{qid}/open", {}, room.key)
    ARTIFACTS.mkdir(exist_ok=True)
    page = _page(browser)
    try:
        open_and_run(page, lab, NOTEBOOK)
        yield page
    except BaseException:
        page.screenshot(path=str(ARTIFACTS / "lab-e2e-failure.png"))
        raise
    finally:
        page.context.close()


def _vote(page: sync_api.Page, title: str) -> sync_api.Locator:
    return (
        page.locator(".jp-OutputArea-output")
        .filter(has_text=title)
        .filter(has=page.locator(".pk-choice"))
    )


def _answers(service: Service, qid: int) -> list[object]:
    store = SQLiteStore(service.db)
    try:
        return [r.answer for r in store.responses(qid)]
    finally:
        store.close()


def test_vote_in_workshop_notebook(participant, lab: Lab, service: Service, room: Room) -> None:
    page = participant
    scenario = load_content().scenarios_for(MODULE)[0]
    question = scenario.question
    # Not the first option, so that a default choice cannot pass for the click; and one long
    # enough to wrap.
    option = question.options[2]
    qid = service.api(f"/rooms/{room.code}/events", key=room.key)["questions"][0]["id"]
    vote = _vote(page, question.title)
    expect(vote.get_by_text("Your answer")).to_be_visible(timeout=WIDGET_RENDER)
    # One kernel, on this environment's Python (so it imports this checkout's peerkit).
    pythons = kernel_pythons(lab.runtime)
    assert [Path(p).parent for p in pythons] == [Path(sys.executable).parent], pythons
    choice = vote.get_by_role("radio", name=option.text, exact=True)
    expect(choice).to_be_visible(timeout=WIDGET_RENDER)
    choice.check()
    expect(choice).to_be_checked()
    vote.get_by_role("button", name="Submit answer").click()
    expect(vote.get_by_role("status").filter(has_text="Saved:")).to_contain_text(
        f"Saved: {option.text}", timeout=SAVE
    )
    page.screenshot(path=str(ARTIFACTS / "lab-e2e.png"))
    wait_all_ran(page, code_cells(lab, NOTEBOOK))
    expect(page.locator(ERROR_OUTPUT)).to_have_count(0)  # tracebacks and stderr alike
    assert _answers(service, qid) == [option.id]
    store = SQLiteStore(service.db)
    try:
        assert store.participant_count(room.code) == 1
    finally:
        store.close()
    # The kernel kept its participant token in the test's PEERKIT_HOME, not the real one.
    assert room.code in (lab.notebooks.parent / "peerkit-home" / "tokens.json").read_text()


def test_keys_typed_in_a_vote_stay_in_it(participant, lab: Lab, service: Service, room) -> None:
    """ArrowDown, a, b, d, d, Escape, Enter on the first option: the second option is chosen
    and stored, and no cell was inserted, deleted or left."""
    page = participant
    scenario = load_content().scenarios_for(MODULE)[1]
    question = scenario.question
    qid = service.api(f"/rooms/{room.code}/questions", {"content_id": scenario.id}, room.key)["id"]
    service.api(f"/questions/{qid}/open", {}, room.key)
    wait_all_ran(page, code_cells(lab, NOTEBOOK))
    cells = page.locator(".jp-Notebook .jp-Cell").count()
    vote = _vote(page, question.title)
    first = vote.get_by_role("radio").first
    first.focus()
    for key in ("ArrowDown", "a", "b", "d", "d", "Escape", "Enter"):
        page.keyboard.press(key)
    second = vote.get_by_role("radio", name=question.options[1].text, exact=True)
    expect(second).to_be_checked()
    expect(vote.get_by_role("status").filter(has_text="Saved:")).to_contain_text(
        f"Saved: {question.options[1].text}", timeout=SAVE
    )
    assert page.locator(".jp-Notebook .jp-Cell").count() == cells
    assert _answers(service, qid) == [question.options[1].id]


MODES = {
    "group": 'import os\nos.environ["PEERKIT_FACILITATOR_KEY"] = "{key}"',
    "rehearsal": (
        'import os\nos.environ.pop("PEERKIT_SERVICE_URL")\n'
        'os.environ["PEERKIT_REHEARSE"] = "12"\nos.environ["PEERKIT_SEED"] = "1"'
    ),
    "solo": 'import os\nos.environ.pop("PEERKIT_SERVICE_URL")',
}


@pytest.mark.parametrize("mode", list(MODES))
def test_widget_outputs_pass_axe(mode: str, browser, lab: Lab, room: Room) -> None:
    name = notebook_variant(lab, NOTEBOOK, f"axe-{mode}.ipynb", MODES[mode].format(key=room.key))
    page = _page(browser)
    try:
        open_and_run(page, lab, name)
        wait_all_ran(page, code_cells(lab, name))
        expect(page.locator(".pk-chart").first).to_be_visible(timeout=WIDGET_RENDER)
        expect(page.locator(ERROR_OUTPUT)).to_have_count(0)
        page.add_script_tag(path=str(axe_script()))
        violations = page.evaluate(
            """async () => {
                const outputs = [...document.querySelectorAll('.jp-OutputArea-output')];
                const found = await axe.run(outputs);
                return found.violations.map(v => ({id: v.id, impact: v.impact,
                    nodes: v.nodes.slice(0, 3).map(n => n.html.slice(0, 160))}));
            }"""
        )
        parts = (("console", ".widget-dropdown"), ("vote", ".pk-choice"), ("chart", ".pk-chart"))
        for part, selector in parts:
            output = page.locator(".jp-OutputArea-output").filter(has=page.locator(selector))
            if output.count():
                output.first.screenshot(path=str(ARTIFACTS / f"lab-{mode}-{part}.png"))
    finally:
        page.context.close()
    serious = [v for v in violations if v["impact"] in ("critical", "serious")]
    assert serious == [], serious


def test_keys_typed_on_the_slider_stay_in_it(participant, lab: Lab, service: Service, room) -> None:
    """ArrowRight twice, a, d, d, Escape, Enter on the slider: it moves two steps from the
    midpoint, that position is stored, and the notebook's cells are untouched."""
    page = participant
    scale = load_content().scales_for(MODULE)[0]
    qid = service.api(f"/rooms/{room.code}/questions", {"content_id": scale.id}, room.key)["id"]
    service.api(f"/questions/{qid}/open", {}, room.key)
    wait_all_ran(page, code_cells(lab, NOTEBOOK))
    cells = page.locator(".jp-Notebook .jp-Cell").count()
    output = page.locator(".jp-OutputArea-output").filter(has=page.locator(".pk-slider"))
    slider = output.get_by_role("slider", name="Your position")
    expect(slider).to_have_attribute("aria-valuetext", "Not answered yet")
    slider.focus()
    for key in ("ArrowRight", "ArrowRight", "a", "d", "d", "Escape", "Enter"):
        page.keyboard.press(key)
    expect(slider).to_have_value("7")
    expect(slider).to_have_attribute("aria-valuetext", "7: " + scale.question.anchor_for(7))
    expect(output.get_by_role("status").filter(has_text="Saved:")).to_contain_text(
        "Saved: 7", timeout=SAVE
    )
    assert page.locator(".jp-Notebook .jp-Cell").count() == cells
    assert _answers(service, qid) == [7]
