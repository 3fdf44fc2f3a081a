"""Benchmark: how fast the room follows the buttons in the facilitator's notebook cells.

Run it as a script (it is not a test)::

    python benchmarks/bench_stage.py [--trials 20]

It starts ``python -m peerkit serve`` and JupyterLab (its kernel the room's facilitator) on a
copy of ``workshops/`` in a temporary folder, all on 127.0.0.1, and opens in headless Chromium:
``02-rescuer.ipynb`` (Run All Cells), one phone page (390×844) and the presenter display
(1280×720). Each trial uses one of the module's first two scenarios in turn and measures:

* cell Open → phone: from the click on the scenario cell's own Open button until the phone
  shows the question's heading;
* cell Open → presenter: the same, until the presenter display shows it;
* cell Reveal → presenter bars: from the click on the cell's Reveal until the presenter display
  draws the bars (three participants have answered through the API).

Then the cell's Hide and Close end the trial. Times are taken in the browser pages: the
notebook records ``Date.now()`` when the click arrives, and the phone and presenter pages record
it when a MutationObserver sees the change (one machine, one clock). It prints each trial, the
median, 95th percentile and maximum of each measure, then one line of JSON.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from chromium import chromium  # noqa: E402
from labrun import open_and_run, running_lab, running_service  # noqa: E402
from serving import call_json  # noqa: E402
from test_stage_e2e import MODULE, NOTEBOOK, facilitator_env, scenario_cell  # noqa: E402

from peerkit.content import load_content  # noqa: E402

#: Installed in the phone and presenter pages: the first time each heading (and the presenter's
#: bars) appeared since the marks were last cleared.
OBSERVE = """(selector) => {
  window.__marks = {};
  const look = () => {
    const heading = document.querySelector(selector);
    const text = heading ? heading.textContent : '';
    if (text && !(text in window.__marks)) window.__marks[text] = Date.now();
    if (document.querySelector('.results .pk-bar') && !('bars' in window.__marks)) {
      window.__marks.bars = Date.now();
    }
  };
  new MutationObserver(look).observe(document.body, { subtree: true, childList: true,
    characterData: true });
  look();
}"""
CLICKS = """() => { window.__clicks = [];
  document.addEventListener('click', () => window.__clicks.push(Date.now()), true); }"""
WAIT_MS = 10_000


def mark(page, name: str) -> float:
    """When ``name`` first appeared on ``page``; polled from here, because the pages'
    Content-Security-Policy allows no evaluated strings in them (as it should)."""
    deadline = time.monotonic() + WAIT_MS / 1000
    while time.monotonic() < deadline:
        found = page.evaluate("(name) => window.__marks[name]", name)
        if found is not None:
            return found
        time.sleep(0.01)
    raise TimeoutError(f"{name!r} did not appear within {WAIT_MS} ms")


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    ranked = sorted(values)
    return ranked[max(0, math.ceil(p / 100 * len(ranked)) - 1)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=20, help="trials (default 20)")
    args = parser.parse_args()
    scenarios = [s.question for s in load_content().scenarios_for(MODULE)[:2]]
    measures: dict[str, list[float]] = {"open_phone": [], "open_presenter": [], "reveal_bars": []}
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        with running_service(tmp) as service:
            room = service.api("/rooms", {"title": "Stage benchmark"})
            code, key = room["code"], room["facilitator_key"]
            env = facilitator_env(service.url, room)
            people = [call_json(f"{service.url}/api/v1/rooms/{code}/join", "POST")["token"]]
            people += [
                call_json(f"{service.url}/api/v1/rooms/{code}/join", "POST")["token"]
                for _ in range(2)
            ]
            with running_lab(tmp, **env) as lab, chromium() as browser:
                notebook = browser.new_page(viewport={"width": 1280, "height": 900})
                notebook.set_default_timeout(60_000)
                open_and_run(notebook, lab, NOTEBOOK)
                cells = [scenario_cell(notebook, q.title) for q in scenarios]
                for cell in cells:
                    cell.get_by_role("button", name="Open").wait_for()
                notebook.wait_for_timeout(2000)  # the rest of Run All settles
                notebook.evaluate(CLICKS)
                phone = browser.new_page(viewport={"width": 390, "height": 844})
                phone.goto(room["join_url"])
                presenter = browser.new_page(viewport={"width": 1280, "height": 720})
                presenter.goto(room["presenter_url"])
                presenter.locator("#code").wait_for()
                answered: set[int] = set()
                for trial in range(args.trials):
                    index = trial % 2
                    question, cell = scenarios[index], cells[index]
                    for page, selector in ((phone, "#q-heading"), (presenter, "#stage-h")):
                        page.evaluate(OBSERVE, selector)
                    clicks = notebook.evaluate("window.__clicks.length")
                    cell.get_by_role("button", name="Open").click()
                    seen = [mark(page, question.title) for page in (phone, presenter)]
                    clicked = notebook.evaluate(f"window.__clicks[{clicks}]")
                    measures["open_phone"].append(seen[0] - clicked)
                    measures["open_presenter"].append(seen[1] - clicked)
                    if index not in answered:
                        current = call_json(
                            f"{service.url}/api/v1/rooms/{code}/screen", secret=key
                        )["question"]
                        for token in people:
                            call_json(
                                f"{service.url}/api/v1/questions/{current['id']}/response",
                                "PUT",
                                {"answer": question.options[0].id},
                                token,
                            )
                        answered.add(index)
                    clicks = notebook.evaluate("window.__clicks.length")
                    cell.get_by_role("button", name="Reveal").click()
                    bars = mark(presenter, "bars")
                    clicked = notebook.evaluate(f"window.__clicks[{clicks}]")
                    measures["reveal_bars"].append(bars - clicked)
                    cell.get_by_role("button", name="Hide").click()
                    presenter.locator(".results").wait_for(state="detached", timeout=WAIT_MS)
                    cell.get_by_role("button", name="Close").click()
                    cell.get_by_role("button", name="Open").and_(
                        notebook.locator("button:enabled")
                    ).wait_for(timeout=WAIT_MS)
                    print(
                        f"trial {trial + 1:2d}: open → phone {measures['open_phone'][-1]:5.0f} ms"
                        f" · open → presenter {measures['open_presenter'][-1]:5.0f} ms"
                        f" · reveal → bars {measures['reveal_bars'][-1]:5.0f} ms",
                        flush=True,
                    )
    summary = {
        name: {
            "n": len(values),
            "median_ms": statistics.median(values),
            "p95_ms": percentile(values, 95),
            "max_ms": max(values),
        }
        for name, values in measures.items()
    }
    for name, figures in summary.items():
        print(
            f"{name:15s} n={figures['n']} median {figures['median_ms']:.0f} ms · "
            f"p95 {figures['p95_ms']:.0f} ms · max {figures['max_ms']:.0f} ms"
        )
    print(json.dumps({"trials": args.trials, "cpus": os.cpu_count(), **summary}))
    return 0 if all(s["p95_ms"] < 1000 for s in summary.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
