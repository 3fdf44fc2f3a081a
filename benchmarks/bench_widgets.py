"""Live widget benchmark: what a chart update costs the kernel, and how fast the browser follows.

Run it as a script (it is not a test)::

    python benchmarks/bench_widgets.py [--updates 300]            # kernel side only
    python benchmarks/bench_widgets.py --lab [--trials 20]        # plus JupyterLab + Chromium

Kernel side (no browser): a 5-option scenario chart follows a room filling up to 30 people,
one or two answers per update. For each update it measures the kernel's CPU time and the bytes
the widget sends to the browser:

* ``view``: today's chart, :class:`peerkit.widgets.LivePollChart` showing a watcher update
  (the view model built by :mod:`peerkit.chartview`, the trait set, the comm message
  serialised as the kernel does);
* ``png``: the earlier engine, ``PollChart.render`` of ``peerkit/charts.py`` as it was before
  the charts moved to the browser (read from git, ``--png-rev``, default ``3f8a652``), whose
  PNG bytes a widget sent on every update.

With ``--lab`` it also starts ``peerkit serve`` and JupyterLab (as in the end-to-end tests),
opens ``02-rescuer.ipynb`` as the facilitator in Chromium, runs every cell, opens the first
scenario from the console, and times over ``--trials`` trials:

* answer → chart: a phone participant's answer (HTTP PUT) until the facilitator's chart in
  the browser shows the new count;
* reveal → cell: a click on Reveal (or Hide) in the console until the scenario cell shows
  "shown to participants" (or "hidden"), timed in the page from the click event;

then re-runs the scenario cell six times and measures both again. The answer times are taken
on the benchmark's side (the wait is a Playwright ``wait_for_function`` polled every animation
frame), so they include a few milliseconds of Playwright round trip.

The last line of output is JSON. Nothing is written outside a temporary folder.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))


def _summary(samples: list[float], unit: float = 1e3) -> dict[str, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]
    return {
        "n": len(ordered),
        "median": round(statistics.median(ordered) * unit, 2),
        "p95": round(p95 * unit, 2),
        "max": round(ordered[-1] * unit, 2),
    }


def _filling_room(rng: random.Random, choices: list, updates: int) -> list[list]:
    """Answer lists as a room fills: 1-2 new answers per update, reset after 30 people."""
    rounds: list[list] = []
    answers: list = []
    for _ in range(updates):
        if len(answers) >= 30:
            answers = []
        answers = answers + [rng.choice(choices) for _ in range(rng.randint(1, 2))]
        rounds.append(answers)
    return rounds


class _Recorder:
    """Replaces a widget comm's ``send``: serialises each message as the kernel would."""

    def __init__(self) -> None:
        self.sizes: list[int] = []

    def send(self, data=None, metadata=None, buffers=None) -> None:
        text = json.dumps(data, separators=(",", ":"))
        self.sizes.append(len(text.encode()) + sum(len(bytes(b)) for b in buffers or ()))


def _old_charts(rev: str):
    """``peerkit/charts.py`` at ``rev`` (the PNG engine), imported as its own module."""
    source = subprocess.run(
        ["git", "show", f"{rev}:peerkit/charts.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    path = Path(tempfile.mkdtemp()) / "old_charts.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("old_charts", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def kernel_side(updates: int, seed: int, rev: str) -> dict:
    from peerkit.client import Results
    from peerkit.model import PASS, tally
    from peerkit.rehearsal import rehearse
    from peerkit.watcher import QuestionState, RoomState, Update
    from peerkit.widgets import LivePollChart

    session = rehearse(n=3, seed=seed)
    question = session.content.question("housing-call")
    rounds = _filling_room(random.Random(seed), [*question.option_ids, PASS], updates)
    typed = [tally(question, answers) for answers in rounds]  # what a session's results hold
    tallies = [t.as_dict() for t in typed]  # what the former PNG engine took

    chart = LivePollChart(session, "housing-call", follow=False)
    recorder = _Recorder()
    chart.comm.send = recorder.send
    cpu: list[float] = []
    for version, data in enumerate(typed, start=10):
        state = QuestionState(1, "housing-call", "", "open", False, version)
        update = Update(
            RoomState(version, (state,)),
            state,
            Results(1, version, "open", False, 3, False, data),
        )
        start = time.process_time()
        chart.show(update)
        cpu.append(time.process_time() - start)
    view = {"cpu_ms": _summary(cpu), "bytes": _summary(recorder.sizes, 1)}

    old = _old_charts(rev)
    png_chart = old.PollChart(question)
    png_chart.render(tallies[0])  # the first draw builds the background; not an update
    cpu, sizes = [], []
    for data in tallies:
        start = time.process_time()
        png = png_chart.render(data, hidden_from_participants=True)
        cpu.append(time.process_time() - start)
        sizes.append(len(png))
    png_chart.close()
    return {"view": view, "png": {"cpu_ms": _summary(cpu), "bytes": _summary(sizes, 1)}}


def lab_side(trials: int, reruns: int) -> dict:
    from chromium import chromium
    from labrun import code_cells, expect, open_and_run, running_lab, running_service, wait_all_ran
    from serving import call_json

    figures: dict = {}
    with tempfile.TemporaryDirectory() as tmp, running_service(Path(tmp)) as service:
        room = service.room("Widget benchmark")
        env = {
            "PEERKIT_SERVICE_URL": service.url,
            "PEERKIT_ROOM": room.code,
            "PEERKIT_FACILITATOR_KEY": room.key,
        }
        tokens = [
            call_json(f"{service.url}/api/v1/rooms/{room.code}/join", "POST")["token"]
            for _ in range(2 * trials + 2)
        ]
        with running_lab(Path(tmp), **env) as lab, chromium() as browser:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.set_default_timeout(30_000)
            notebook = "02-rescuer.ipynb"
            open_and_run(page, lab, notebook)
            wait_all_ran(page, code_cells(lab, notebook))
            console = page.locator(".jp-OutputArea-output").filter(
                has=page.locator(".widget-dropdown")
            )
            console.get_by_role("button", name="Open", exact=True).click()
            scenario = page.locator(".jp-CodeCell").filter(has_text="ws.scenario(0)")
            status = ".pk-chart-status"
            expect(scenario.locator(status)).to_contain_text("Open", timeout=30_000)
            qid = call_json(
                f"{service.url}/api/v1/rooms/{room.code}/events", "GET", None, room.key
            )["current"]
            answered = [0]

            def answer_to_chart() -> list[float]:
                samples = []
                for _ in range(trials):
                    token = tokens[answered[0]]
                    answered[0] += 1
                    handle = scenario.locator(status).element_handle()
                    start = time.perf_counter()
                    call_json(
                        f"{service.url}/api/v1/questions/{qid}/response",
                        "PUT",
                        {"answer": "c"},
                        token,
                    )
                    page.wait_for_function(
                        "([el, n]) => el.isConnected && el.textContent.includes(`· ${n} response`)",
                        arg=[handle, answered[0]],
                        polling="raf",
                    )
                    samples.append(time.perf_counter() - start)
                return samples

            def reveal_to_cell() -> list[float]:
                # Timed in the page, from the click event to the cell's new text, so that
                # Playwright's own checks before it clicks are not counted.
                samples = []
                for i in range(trials):
                    action, words = (
                        ("Reveal", "shown to participants") if i % 2 == 0 else ("Hide", "hidden")
                    )
                    handle = scenario.locator(status).element_handle()
                    page.evaluate(
                        """() => { window.__clicked = null;
                        document.addEventListener('click',
                            () => { window.__clicked = performance.now(); },
                            {capture: true, once: true}); }"""
                    )
                    console.get_by_role("button", name=action, exact=True).click()
                    took = page.wait_for_function(
                        """([el, w]) => el.isConnected && el.textContent.includes(w)
                            && window.__clicked !== null && performance.now() - window.__clicked""",
                        arg=[handle, words],
                        polling="raf",
                    ).json_value()
                    samples.append(took / 1e3)
                return samples

            figures["answer_to_chart_ms"] = _summary(answer_to_chart())
            figures["reveal_to_cell_ms"] = _summary(reveal_to_cell())
            for _ in range(reruns):
                scenario.locator(".jp-InputArea-editor").click()
                page.keyboard.press("Control+Enter")
                expect(page.locator("#jp-main-statusbar")).to_contain_text("| Idle")
            page.keyboard.press("Escape")
            expect(scenario.locator(status)).to_contain_text("responses", timeout=30_000)
            figures[f"after_{reruns}_reruns"] = {
                "answer_to_chart_ms": _summary(answer_to_chart()),
                "reveal_to_cell_ms": _summary(reveal_to_cell()),
            }
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--updates", type=int, default=300, help="chart updates (300)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--png-rev", default="3f8a652", help="git revision of the PNG engine")
    parser.add_argument("--lab", action="store_true", help="also time JupyterLab + Chromium")
    parser.add_argument("--trials", type=int, default=20, help="browser trials per figure (20)")
    parser.add_argument("--reruns", type=int, default=6, help="re-runs of the scenario cell (6)")
    args = parser.parse_args(argv)
    if not 1 <= args.updates <= 100_000 or not 1 <= args.trials <= 1_000:
        parser.error("--updates must be 1-100000 and --trials 1-1000")

    results: dict = {"load_before": round(os.getloadavg()[0], 2), "cpus": os.cpu_count()}
    results["kernel"] = kernel_side(args.updates, args.seed, args.png_rev)
    for name, data in results["kernel"].items():
        print(
            f"{name:>4}: CPU per update median {data['cpu_ms']['median']} ms, "
            f"p95 {data['cpu_ms']['p95']} ms; bytes per update median {data['bytes']['median']:.0f}"
        )
    if args.lab:
        results["lab"] = lab_side(args.trials, args.reruns)
        for name, data in results["lab"].items():
            print(f"{name}: {data}")
    results["load_after"] = round(os.getloadavg()[0], 2)
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
