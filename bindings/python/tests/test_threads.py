"""Concurrency: evaluate_many from many Python threads gives the serial results, and the GIL is
released while the engine works."""

from __future__ import annotations

import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import shipgate
from conftest import NOW, change_files, load


def varied_changes(n: int) -> list[dict[str, Any]]:
    """`n` changes built from the examples, each a little different (size, start, approvals)."""
    bases = [load(p) for p in change_files()]
    out = []
    for i in range(n):
        c = dict(bases[i % len(bases)])
        c["id"] = f"{c['id']}-{i}"
        c["size"] = (i * 37) % 900
        day = 1 + i % 27
        hour = 6 + i % 14
        c["start"] = f"2026-12-{day:02d}T{hour:02d}:{(i * 7) % 60:02d}:00Z"
        if i % 3 == 0:
            c["approvals"] = list(c.get("approvals", [])) + [
                {"by": f"approver{i % 5}", "group": "cab", "at": "2026-11-30T10:00:00Z"}
            ]
        out.append(c)
    return out


def test_evaluate_many_from_8_threads_equals_serial(
    engine: shipgate.Engine, catalog: shipgate.Catalog
) -> None:
    changes = varied_changes(400)
    serial = [engine.evaluate(c, catalog, now=NOW) for c in changes]
    prepared = [shipgate.Change(c) for c in changes]

    def run(k: int) -> list[shipgate.Decision]:
        # Half the threads pass dicts, half prepared changes; all share engine and catalog.
        batch: list[Any] = changes if k % 2 else prepared
        return engine.evaluate_many(batch, catalog, now=NOW)

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(run, range(8)))
    assert len(results) == 8
    for r in results:
        assert r == serial
    assert {d.verdict for d in serial} >= {"allow"}  # the batch is not trivially uniform


def test_evaluate_from_8_threads_equals_serial(
    engine: shipgate.Engine, catalog: shipgate.Catalog
) -> None:
    changes = varied_changes(120)
    serial = [engine.evaluate(c, catalog, now=NOW, explain=True) for c in changes]

    def run(k: int) -> list[shipgate.Decision]:
        # Each thread walks the changes from a different starting point.
        n = len(changes)
        got = {}
        for i in ((j + 15 * k) % n for j in range(n)):
            got[i] = engine.evaluate(changes[i], catalog, now=NOW, explain=True)
        return [got[i] for i in range(n)]

    with ThreadPoolExecutor(max_workers=8) as pool:
        for r in pool.map(run, range(8)):
            assert r == serial


def test_evaluate_many_releases_the_gil(engine: shipgate.Engine, catalog: shipgate.Catalog) -> None:
    """While the engine decides a batch, another Python thread keeps running. With the GIL
    held for the whole call the counter could not move between the two reads."""
    prepared = [shipgate.Change(c) for c in varied_changes(200)] * 50
    ticks = 0
    stop = False

    def count() -> None:
        nonlocal ticks
        while not stop:
            ticks += 1
            time.sleep(0)  # hand the GIL back at once

    old = sys.getswitchinterval()
    sys.setswitchinterval(0.05)  # the main thread is not pre-empted within the measurement
    worker = threading.Thread(target=count)
    worker.start()
    try:
        time.sleep(0.01)
        before = ticks
        decisions = engine.evaluate_many(prepared, catalog, now=NOW)
        during = ticks - before
    finally:
        stop = True
        worker.join()
        sys.setswitchinterval(old)
    assert len(decisions) == len(prepared)
    assert during > 10, f"the counter thread ran {during} times during evaluate_many"
