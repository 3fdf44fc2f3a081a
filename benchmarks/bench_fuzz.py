"""A long fuzzing run: the strategies of ``tests/test_fuzz.py`` for many more examples.

Run it as a script (it is not a test)::

    python benchmarks/bench_fuzz.py [--http 5000] [--loader 5000] [--model 5000] [--seed N]

It starts the poll service in-process on 127.0.0.1 (a SQLite store in a temporary folder), sends
``--http`` random requests, validates ``--loader`` random content files and feeds ``--model``
random values to the model, and prints the inputs tried, the 5xx answers seen (must be 0) and the
crashes (any other broken promise: a stack trace, an error that is not JSON, a rejected request
that changed the store, an exception from the loader or the model). The last line is JSON. It
exits non-zero if anything failed.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

import test_fuzz as fuzz  # noqa: E402 - the tests folder is not a package

from peerkit.content import load_content  # noqa: E402


def _settings(examples: int) -> settings:
    return settings(
        max_examples=examples,
        deadline=None,
        database=None,
        phases=[Phase.generate],  # no shrinking: every failure is counted, none stops the run
        suppress_health_check=list(HealthCheck),
    )


def run(
    kind: str, examples: int, check: Any, strategy: Any, failures: list[str], seed_value: int
) -> tuple[int, float]:
    tried = 0
    if not examples:
        return tried, 0.0

    @seed(seed_value)
    @_settings(examples)
    @given(case=strategy)
    def body(case: Any) -> None:
        nonlocal tried
        tried += 1
        failures.extend(f"{kind}: {f}" for f in check(case))

    started = time.perf_counter()
    body()
    return tried, time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--http", type=int, default=5000, help="random HTTP requests")
    parser.add_argument("--loader", type=int, default=5000, help="random content files")
    parser.add_argument("--model", type=int, default=5000, help="random model inputs (each)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    logging.getLogger("tornado.access").setLevel(logging.CRITICAL)
    logging.getLogger("tornado.general").setLevel(logging.CRITICAL)

    failures: list[str] = []
    statuses: Counter[int] = Counter()
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="peerkit-fuzz-") as tmp:
        root = Path(tmp)
        with fuzz.running_service(root, load_content()) as service:
            tried, seconds = run(
                "http",
                args.http,
                lambda case: fuzz.check_request(service, case, statuses),
                fuzz.request_cases(service),
                failures,
                args.seed,
            )
            results["http"] = {"tried": tried, "seconds": round(seconds, 1)}
        loader_root = root / "content"
        tried, seconds = run(
            "loader",
            args.loader,
            lambda case: fuzz.check_loader(loader_root, *case),
            fuzz.loader_inputs,
            failures,
            args.seed,
        )
        results["loader"] = {"tried": tried, "seconds": round(seconds, 1)}
    tried, seconds = run(
        "model.question_from_dict",
        args.model,
        fuzz.check_question_from_dict,
        fuzz.json_values | fuzz.question_like | fuzz.near_valid_questions(),
        failures,
        args.seed,
    )
    results["model.question_from_dict"] = {"tried": tried, "seconds": round(seconds, 1)}
    tried, seconds = run(
        "model.validate",
        args.model,
        lambda case: fuzz.check_validate(*case),
        st.tuples(st.integers(0, len(fuzz.QUESTIONS) - 1), fuzz.json_values | fuzz._numbers),
        failures,
        args.seed,
    )
    results["model.validate"] = {"tried": tried, "seconds": round(seconds, 1)}

    server_errors = sum(count for status, count in statuses.items() if status >= 500)
    crashes = len(failures) - sum(1 for f in failures if f.startswith("http: 5"))
    for failure in failures[:20]:
        print("FAIL", failure[:400])
    for kind, result in results.items():
        print(f"{kind:>26}: {result['tried']:6d} inputs in {result['seconds']:6.1f} s")
    print(f"HTTP statuses: {dict(sorted(statuses.items()))}")
    total = sum(r["tried"] for r in results.values())
    print(f"inputs tried: {total}; 5xx answers: {server_errors}; crashes: {crashes}")
    print(
        json.dumps(
            {
                "inputs": total,
                "results": results,
                "statuses": {str(k): v for k, v in sorted(statuses.items())},
                "server_errors": server_errors,
                "crashes": crashes,
                "seed": args.seed,
            }
        )
    )
    return 1 if failures or server_errors else 0


if __name__ == "__main__":
    sys.exit(main())
