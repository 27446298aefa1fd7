"""The stubs: the example script type-checks under mypy --strict, and misuse is caught (so the
stubs are really read, not silently replaced by Any)."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "check_change.py"

mypy_api = pytest.importorskip("mypy.api")


def run_mypy(path: Path, cache: Path) -> tuple[str, int]:
    args = ["--strict", "--no-error-summary", "--cache-dir", str(cache), str(path)]
    out, err, status = mypy_api.run(args)
    return out + err, status


def test_example_type_checks_strictly(tmp_path: Path) -> None:
    out, status = run_mypy(EXAMPLE, tmp_path / "cache")
    assert status == 0, out


def test_stubs_catch_misuse(tmp_path: Path) -> None:
    script = tmp_path / "misuse.py"
    script.write_text(
        textwrap.dedent(
            """\
            from datetime import datetime
            import shipgate

            engine = shipgate.Engine.from_path("policies/payments")
            catalog = shipgate.Catalog({"services": []})
            d = engine.evaluate({"id": "x"}, catalog)
            tier: int = d.tier
            engine.evaluate({"id": "x"}, 42)
            start: str = d.schedule.start
            w = engine.next_window("eu-west", datetime.now(), 3600)
            w.start
            wave: str = engine.plan([{"id": "x"}], catalog, start=datetime.now()).changes[0].wave
            """
        )
    )
    out, status = run_mypy(script, tmp_path / "cache")
    assert status == 1
    assert "misuse.py:7: error: Incompatible types in assignment" in out
    assert "misuse.py:8: error: Argument 2 to \"evaluate\" of \"Engine\"" in out
    assert "misuse.py:9: error: Incompatible types in assignment" in out
    assert re.search(r'misuse.py:11: error: Item "None" of ".*Stretch.*" has no attribute "start"', out)
    assert "misuse.py:12: error: Incompatible types in assignment" in out


def test_example_runs_and_prints_a_decision() -> None:
    done = subprocess.run([sys.executable, str(EXAMPLE)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    first = done.stdout.splitlines()[0]
    assert first.split()[0] in ("ALLOW", "PENDING", "DENY")
    assert '"regions"' in done.stdout
