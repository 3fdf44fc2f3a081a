"""The front of the room end to end: the facilitator runs a question from its own cell.

The poll service and JupyterLab run as their own processes; Chromium holds the facilitator's
notebook (``02-rescuer.ipynb``, run as the room's facilitator), the presenter display at
1280×720 and three phones at 390×844. The facilitator presses the first scenario cell's own
Open; the phones answer; the cell's private chart shows the three answers while the presenter
display shows "3 answers" and nothing of how they are spread; the cell's Reveal puts the bars
on the presenter display and on the phones. Screenshots are kept in ``test-artifacts/``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from chromium import chromium
from labrun import ROOT, open_and_run, running_lab, running_service
from playwright import sync_api

from peerkit.content import load_content

expect = sync_api.expect
pytestmark = pytest.mark.timeout(240)

ARTIFACTS = ROOT / "test-artifacts"
ERROR_OUTPUT = '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'
NOTEBOOK = "02-rescuer.ipynb"
MODULE = "rescuer"
WIDGET_RENDER = 30_000  # ms: the cell's controls drawn after Run All
FOLLOW = 2_000  # ms: the room follows a cell's button (measured in benchmarks/bench_stage.py)


def scenario_cell(page: sync_api.Page, title: str) -> sync_api.Locator:
    """The output of the scenario cell: its preview and its own controls."""
    return (
        page.locator(".jp-OutputArea-output")
        .filter(has_text=title)
        .filter(has=page.locator(".pk-choice"))
    )


def facilitator_env(service_url: str, room: dict) -> dict[str, str]:
    """The environment that makes JupyterLab's kernels the room's facilitator."""
    return {
        "PEERKIT_SERVICE_URL": service_url,
        "PEERKIT_ROOM": room["code"],
        "PEERKIT_FACILITATOR_KEY": room["facilitator_key"],
    }


def fits(page: sync_api.Page) -> bool:
    """Whether everything on the presenter display is within the window."""
    return page.evaluate(
        "Math.max(...[...document.querySelectorAll('.stage *, .join *')]"
        ".map(e => e.getBoundingClientRect().bottom)) <= window.innerHeight"
    )


def test_the_cells_own_buttons_run_the_room(tmp_path: Path) -> None:
    question = load_content().scenarios_for(MODULE)[0].question
    chosen = [question.options[i % 2] for i in range(3)]  # two of a, one of b
    ARTIFACTS.mkdir(exist_ok=True)
    with running_service(tmp_path) as service:
        room = service.api("/rooms", {"title": "Cockpit test"})
        code, env = room["code"], facilitator_env(service.url, room)
        with running_lab(tmp_path, **env) as lab, chromium() as browser:
            notebook = browser.new_page(viewport={"width": 1280, "height": 900})
            notebook.set_default_timeout(10_000)
            try:
                open_and_run(notebook, lab, NOTEBOOK)
                cell = scenario_cell(notebook, question.title)
                open_button = cell.get_by_role(
                    "button", name="Open"
                )  # (its icon is part of the name)
                expect(open_button).to_be_enabled(timeout=WIDGET_RENDER)
                # the facilitator's vote is a preview: disabled, and no submit button
                expect(cell.get_by_role("radio").first).to_be_disabled()
                expect(cell.get_by_role("button", name="Submit answer")).to_have_count(0)

                presenter = browser.new_page(viewport={"width": 1280, "height": 720})
                presenter.goto(room["presenter_url"])
                expect(presenter.locator("#code")).to_have_text(code)
                phones = []
                for _ in range(3):
                    phone = browser.new_page(viewport={"width": 390, "height": 844})
                    phone.goto(room["join_url"])
                    phones.append(phone)

                open_button.click()
                expect(presenter.locator("#stage-h")).to_have_text(question.title, timeout=FOLLOW)
                for phone, option in zip(phones, chosen, strict=True):
                    expect(phone.locator("#q-heading")).to_have_text(question.title, timeout=FOLLOW)
                    phone.get_by_role("radio", name=option.text, exact=True).check()
                    phone.get_by_role("button", name="Submit").click()
                    expect(phone.get_by_text("Your answer is saved")).to_be_visible()

                # the cell's private chart has the three answers; the room's screen a number
                expect(cell).to_contain_text("3 answers. Only you see the chart", timeout=FOLLOW)
                chart = (
                    notebook.locator(".jp-OutputArea-output")
                    .filter(has=notebook.locator(".pk-chart"))
                    .filter(has_text=question.title)
                )
                expect(chart.locator(".pk-chart-status")).to_contain_text("3 responses")
                expect(presenter.locator("#answers")).to_have_text("3 answers", timeout=FOLLOW)
                drawn = presenter.locator(".results, .pk-chart, .pk-bar, .pk-fill")
                assert drawn.count() == 0
                assert "%" not in presenter.inner_text("body")
                notebook.screenshot(path=str(ARTIFACTS / "stage-notebook-open.png"))
                presenter.screenshot(path=str(ARTIFACTS / "stage-presenter-open.png"))
                assert fits(presenter), "a real scenario runs off the room's screen"

                # the cell's Reveal: bars on the room's screen and on the phones
                cell.get_by_role("button", name="Reveal").click()
                bars = presenter.locator(".results .pk-bar")
                expect(bars).to_have_count(len(question.options), timeout=FOLLOW)
                expect(bars.nth(0).locator(".pk-count")).to_have_text("2 (67%)")
                expect(bars.nth(1).locator(".pk-count")).to_have_text("1 (33%)")
                for phone in phones:
                    expect(phone.get_by_role("heading", name="Group results")).to_be_visible(
                        timeout=FOLLOW
                    )
                expect(cell).to_contain_text("Revealed")
                expect(notebook.locator(ERROR_OUTPUT)).to_have_count(0)
                presenter.screenshot(path=str(ARTIFACTS / "stage-presenter-revealed.png"))
                assert fits(presenter), "the revealed results run off the room's screen"
                phones[0].screenshot(path=str(ARTIFACTS / "stage-phone-revealed.png"))
                notebook.screenshot(path=str(ARTIFACTS / "stage-notebook-revealed.png"))
            except BaseException:
                (ARTIFACTS / "stage-e2e-failure.html").write_text(notebook.content())
                notebook.screenshot(path=str(ARTIFACTS / "stage-e2e-failure.png"))
                shutil.copyfile(lab.log, ARTIFACTS / "stage-e2e-jupyter.log")
                raise
