"""Benchmark of the Python binding (not a test): the cost of `evaluate` per call and the
throughput of `evaluate_many`, on the example policy set.

Build a release wheel first (`pip install ./bindings/python` builds in release mode), install
PyYAML (the example catalog is YAML), then run from the repository root:

    python bindings/python/bench/bench_evaluate.py [--many 100000] [--json]

The Rust baseline for the same work is `cargo run --release -p shipgate-python --example
rust_baseline`; the difference is what the binding adds.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

import yaml

import shipgate

REPO = Path(__file__).resolve().parents[3]
POLICIES = REPO / "policies"
NOW = datetime(2026, 12, 1, 9, tzinfo=timezone.utc)


def per_call(fn: Callable[[], object], min_time: float = 0.5, repeats: int = 7) -> float:
    """Median seconds per call over `repeats` runs of a loop that lasts about `min_time`."""
    n = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        if time.perf_counter() - t0 >= min_time / 5:
            break
        n *= 2
    loops = max(1, int(n * 5 * (min_time / 5) / max(time.perf_counter() - t0, 1e-9)))
    samples = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(loops):
            fn()
        samples.append((time.perf_counter() - t0) / loops)
    return statistics.median(samples)


def many_changes(n: int) -> list[dict[str, Any]]:
    bases = [json.loads(p.read_text()) for p in sorted((POLICIES / "changes").glob("*.json"))]
    out = []
    for i in range(n):
        c = dict(bases[i % len(bases)])
        c["id"] = f"{c['id']}-{i}"
        out.append(c)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--many", type=int, default=100_000, help="changes for evaluate_many")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()

    engine = shipgate.Engine.from_path(POLICIES / "payments")
    catalog = shipgate.Catalog(yaml.safe_load((POLICIES / "catalog.yaml").read_text()))
    change_dict = json.loads((POLICIES / "changes" / "chg-1043-ledger-migration.json").read_text())
    prepared = shipgate.Change(change_dict)

    rows: list[tuple[str, float, str]] = []
    t = per_call(lambda: engine.evaluate(prepared, catalog, now=NOW))
    rows.append(("evaluate(prepared Change)", t * 1e6, "us/call"))
    t = per_call(lambda: engine.evaluate(change_dict, catalog, now=NOW))
    rows.append(("evaluate(dict)", t * 1e6, "us/call"))
    t = per_call(lambda: shipgate.Change(change_dict))
    rows.append(("Change(dict) alone", t * 1e6, "us/call"))
    d = engine.evaluate(prepared, catalog, now=NOW)
    t = per_call(lambda: d.to_dict())
    rows.append(("decision.to_dict()", t * 1e6, "us/call"))

    dicts = many_changes(args.many)
    changes = [shipgate.Change(c) for c in dicts]
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        out = engine.evaluate_many(changes, catalog, now=NOW)
        best = min(best, time.perf_counter() - t0)
        assert len(out) == len(changes)
        del out  # freed outside the timed region, as in the Rust baseline
    rows.append((f"evaluate_many({args.many:,} prepared)", args.many / best, "changes/s"))
    rows.append((f"evaluate_many({args.many:,} prepared) wall", best * 1e3, "ms"))
    t0 = time.perf_counter()
    out = engine.evaluate_many(dicts, catalog, now=NOW)
    wall = time.perf_counter() - t0
    del out
    rows.append((f"evaluate_many({args.many:,} dicts)", args.many / wall, "changes/s"))

    if args.json:
        print(json.dumps({name: round(value, 3) for name, value, _ in rows}, indent=2))
        return
    print(f"shipgate {shipgate.__version__}, Python {platform.python_version()}, {platform.machine()}")
    width = max(len(r[0]) for r in rows)
    for name, value, unit in rows:
        print(f"{name:<{width}}  {value:>12,.2f} {unit}")


if __name__ == "__main__":
    main()
