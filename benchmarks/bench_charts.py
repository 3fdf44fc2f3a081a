"""Chart redraw benchmark: how long a live chart takes to redraw and encode as PNG.

Run it as a script (it is not a test)::

    python benchmarks/bench_charts.py [--updates 200] [--fresh 20]

For each chart kind it renders ``--updates`` changing tallies in a row, the way a live poll
redraws when responses arrive (one or two new answers per update, the room filling up to 30
people and starting again), and times each ``render`` call: redraw plus PNG encode, the whole
cost a widget pays per update. It reports the median, p90 and maximum:

* a 5-option choice chart (``housing-call``, with the lean strip), default size (7 x 3.6 in at
  100 dpi);
* a 0-10 scale chart (``autonomy-control``);
* a before/after chart of that scale (7 x 4.2 in).

It also times a first render with a new figure (construct ``PollChart`` + first ``render``),
once cold (the first chart in this process, which loads fonts) and ``--fresh`` times warm; a
switch of layout (showing the "Hidden from participants" banner, which redraws the static
background); and, for reference, a plain full redraw of the same figure with
``FigureCanvasAgg.print_png``, which is what a chart would cost without the background cache.

The last line of output is JSON. Nothing is written to disk and no network is used.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_MS = 30.0  # median redraw + PNG for the 5-option choice chart, on 2 cores


def _load() -> float:
    try:
        return os.getloadavg()[0]
    except OSError:  # pragma: no cover - not on Linux
        return float("nan")


def _summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    p90 = ordered[min(len(ordered) - 1, max(0, round(0.9 * len(ordered)) - 1))]
    return {
        "n": len(ordered),
        "median_ms": round(statistics.median(ordered) * 1e3, 2),
        "p90_ms": round(p90 * 1e3, 2),
        "max_ms": round(ordered[-1] * 1e3, 2),
        "min_ms": round(ordered[0] * 1e3, 2),
    }


def _time_each(calls: list[Callable[[], object]]) -> list[float]:
    samples = []
    for call in calls:
        start = time.perf_counter()
        call()
        samples.append(time.perf_counter() - start)
    return samples


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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--updates", type=int, default=200, help="renders per chart (200)")
    parser.add_argument("--fresh", type=int, default=20, help="new charts for warm first render")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    if not 1 <= args.updates <= 100_000 or not 1 <= args.fresh <= 1_000:
        parser.error("--updates must be 1-100000 and --fresh 1-1000")

    load_before = _load()
    start = time.perf_counter()
    from peerkit import charts  # timed: loads matplotlib

    import_s = time.perf_counter() - start
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from peerkit.content import load_content
    from peerkit.model import PASS, compare_pre_post, tally

    content = load_content(ROOT / "data")
    choice = content.question("housing-call")
    scale = content.question("autonomy-control")
    rng = random.Random(args.seed)
    results: dict[str, object] = {}

    # First chart in this process: loads fonts and builds the background.
    start = time.perf_counter()
    first = charts.PollChart(choice)
    first.render(tally(choice, ["a", "c", "c", "e"]).as_dict())
    cold_s = time.perf_counter() - start
    first.close()

    # --- choice chart, 200 updates
    option_ids = [*choice.option_ids, PASS]
    choice_tallies = [
        tally(choice, answers).as_dict() for answers in _filling_room(rng, option_ids, args.updates)
    ]
    chart = charts.PollChart(choice)
    chart.render(choice_tallies[0])
    samples = _time_each([lambda t=t: chart.render(t) for t in choice_tallies])
    results["choice_update"] = _summary(samples)
    png_bytes = len(chart.render(choice_tallies[-1]))

    # Switching layout (hidden banner on and off) redraws the static background.
    flips = [
        lambda t=t, i=i: chart.render(t, hidden_from_participants=bool(i % 2))
        for i, t in enumerate(choice_tallies[:20])
    ]
    results["choice_layout_switch"] = _summary(_time_each(flips))

    # Reference: the same figure fully redrawn and encoded by print_png on every update.
    canvas = chart.figure.canvas
    assert isinstance(canvas, FigureCanvasAgg)

    full = []
    for t in choice_tallies[:50]:
        chart.render(t)  # sets the artists for this tally; not counted
        begin = time.perf_counter()
        canvas.print_png(io.BytesIO())
        full.append(time.perf_counter() - begin)
    results["choice_full_redraw_print_png"] = _summary(full)
    chart.close()

    # --- scale chart
    points = [*scale.points, PASS]
    scale_tallies = [
        tally(scale, answers).as_dict() for answers in _filling_room(rng, points, args.updates)
    ]
    scale_chart = charts.PollChart(scale)
    scale_chart.render(scale_tallies[0])
    results["scale_update"] = _summary(
        _time_each([lambda t=t: scale_chart.render(t) for t in scale_tallies])
    )
    scale_chart.close()

    # --- before/after chart
    comparisons = []
    for answers in _filling_room(rng, list(scale.points), args.updates):
        pre = {f"p{i}": value for i, value in enumerate(answers)}
        post = {
            key: min(scale.max, max(scale.min, value + rng.choice([-1, 0, 1, 2])))
            for key, value in pre.items()
        }
        comparisons.append(compare_pre_post(scale, pre, post).as_dict())
    pre_post = charts.PrePostChart(scale)
    pre_post.render(comparisons[0])
    results["pre_post_update"] = _summary(
        _time_each([lambda c=c: pre_post.render(c) for c in comparisons])
    )
    pre_post.close()

    # --- first render with a new figure (warm process)
    def fresh() -> None:
        new = charts.PollChart(choice)
        new.render(choice_tallies[-1])
        new.close()

    results["choice_first_render_warm"] = _summary(_time_each([fresh] * args.fresh))
    results["choice_first_render_cold_ms"] = round(cold_s * 1e3, 1)
    results["import_peerkit_charts_ms"] = round(import_s * 1e3, 1)
    results["choice_png_bytes"] = png_bytes

    median = results["choice_update"]["median_ms"]  # type: ignore[index]
    results["target_ms"] = TARGET_MS
    results["target_met"] = median < TARGET_MS
    results["machine"] = {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "matplotlib": matplotlib.__version__,
        "load_before": round(load_before, 2),
        "load_after": round(_load(), 2),
    }

    print(f"Chart redraw + PNG, {args.updates} updates each (ms)")
    print(f"{'':36} {'median':>8} {'p90':>8} {'max':>8}")
    for key, label in (
        ("choice_update", "choice, 5 options + lean strip"),
        ("scale_update", "scale, 11 points"),
        ("pre_post_update", "before/after, 11 points x 2"),
        ("choice_layout_switch", "choice, hidden banner toggled"),
        ("choice_first_render_warm", "choice, new chart + first render"),
        ("choice_full_redraw_print_png", "reference: full redraw, print_png"),
    ):
        s = results[key]
        print(f"{label:36} {s['median_ms']:8.1f} {s['p90_ms']:8.1f} {s['max_ms']:8.1f}")  # type: ignore[index]
    print(f"first chart in a fresh process: {results['choice_first_render_cold_ms']} ms")
    print(f"import peerkit.charts (incl. matplotlib): {results['import_peerkit_charts_ms']} ms")
    print(f"choice PNG: {png_bytes} bytes")
    print(
        f"target: median choice update < {TARGET_MS:g} ms: "
        f"{'met' if results['target_met'] else 'NOT met'} ({median} ms)"
    )
    print(f"load average before/after: {load_before:.2f} / {_load():.2f} on {os.cpu_count()} CPUs")
    print(json.dumps(results, sort_keys=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
