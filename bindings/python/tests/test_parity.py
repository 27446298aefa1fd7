"""Parity with the CLI: `Decision.to_dict()` is the JSON of `shipgate check --format json` for
every change of the example policy set and every case of the corpus.

The CLI is the binary built by `cargo build` (`target/debug/shipgate`) or the one named by the
environment variable SHIPGATE_BIN.
"""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

import shipgate
from conftest import CASES_DIR, PAYMENTS, POLICIES, change_files, load, shipgate_bin

EXAMPLE_NOW = "2026-12-01T09:00:00Z"


@dataclass
class Case:
    policy: Path
    catalog: Path
    change: Path
    now: str
    explain: bool
    expected_error: Path | None


def example_cases() -> list[Any]:
    return [
        pytest.param(
            Case(PAYMENTS, POLICIES / "catalog.yaml", path, EXAMPLE_NOW, False, None),
            id=f"policies/{path.name}",
        )
        for path in change_files()
    ]


def corpus_cases() -> list[Any]:
    out = []
    for folder in sorted(p for p in CASES_DIR.iterdir() if p.is_dir()):
        if not (folder / "change.json").exists():
            continue  # compile-only case: nothing to decide
        case = json.loads((folder / "case.json").read_text())
        error = folder / "expected_error.txt"
        out.append(
            pytest.param(
                Case(
                    folder,
                    folder / "catalog.json",
                    folder / "change.json",
                    case["now"],
                    bool(case.get("explain", False)),
                    error if error.exists() else None,
                ),
                id=f"cases/{folder.name}",
            )
        )
    return out


def run_cli(case: Case) -> subprocess.CompletedProcess[str]:
    exe = shipgate_bin()
    if not exe.exists():
        pytest.fail(f"{exe} not found: run `cargo build -p shipgate-cli` or set SHIPGATE_BIN")
    args = [
        str(exe),
        "check",
        "--policy",
        str(case.policy),
        "--catalog",
        str(case.catalog),
        "--change",
        str(case.change),
        "--now",
        case.now,
        "--format",
        "json",
    ]
    if case.explain:
        args.append("--explain")
    env = {**os.environ, "NO_COLOR": "1"}
    return subprocess.run(args, capture_output=True, text=True, env=env, check=False)


def decide(case: Case) -> shipgate.Decision:
    engine = shipgate.Engine.from_path(case.policy)
    catalog = shipgate.Catalog(load(case.catalog))
    return engine.evaluate(load(case.change), catalog, now=case.now, explain=case.explain)


def normalise(value: Any) -> str:
    """JSON text with the keys in their order, compact: equal iff the same document."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


@pytest.mark.parametrize("case", example_cases() + corpus_cases())
def test_to_dict_equals_cli_json(case: Case) -> None:
    cli = run_cli(case)
    if case.expected_error is not None:
        assert cli.returncode == 3, cli.stdout
        with pytest.raises(shipgate.ShipgateError) as info:
            decide(case)
        for line in case.expected_error.read_text().splitlines():
            if line.strip():
                assert line.strip() in str(info.value)
        return
    assert cli.returncode in (0, 1, 2), cli.stderr
    decision = decide(case)
    from_cli = json.loads(cli.stdout)
    assert normalise(decision.to_dict()) == normalise(from_cli)
    assert decision.to_json() == cli.stdout.rstrip("\n")
    assert cli.returncode == {"allow": 0, "deny": 1, "pending": 2}[decision.verdict]


def test_the_parity_corpus_is_not_empty() -> None:
    assert len(example_cases()) == len(change_files()) >= 5


CHECKS_AND_GROUPS_POLICY = """groups cab
rule cab_review {
  require approval "cab" count 2
  require check "rollback-rehearsal" within 30d
}
"""


def test_check_objects_and_catalog_groups_pass_through(tmp_path: Path) -> None:
    """A check object (its `at` an aware `datetime`) and the catalog's member lists reach the
    engine as the CLI reads them from JSON: the same decision, non-members and failed or old
    evidence ignored alike."""
    (tmp_path / "policy.gate").write_text(CHECKS_AND_GROUPS_POLICY)
    catalog = {"services": [{"id": "api", "tier": 1}], "groups": {"cab": ["ana", "eve"]}}
    rehearsed = datetime(2026, 11, 20, 10, tzinfo=timezone.utc)
    change: dict[str, Any] = {
        "id": "CHG-1", "services": ["api"], "requester": "bob", "implementer": "chen",
        "start": "2026-12-01T10:00:00Z", "duration": "1h",
        "approvals": [
            {"by": "ana", "group": "cab", "at": "2026-12-01T08:00:00Z"},
            {"by": "erik", "group": "cab", "at": "2026-12-01T08:00:00Z"},
        ],
        "checks": [
            "unit",
            {"name": "rollback-rehearsal", "status": "failed", "at": "2026-11-30T10:00:00Z"},
            {"name": "rollback-rehearsal", "status": "passed", "at": rehearsed,
             "url": "https://ci.example/runs/7"},
        ],
    }
    as_json = json.loads(json.dumps(change, default=lambda t: t.isoformat()))
    (tmp_path / "catalog.json").write_text(json.dumps(catalog))
    (tmp_path / "change.json").write_text(json.dumps(as_json))
    now = "2026-12-01T09:00:00Z"
    case = Case(tmp_path, tmp_path / "catalog.json", tmp_path / "change.json", now, False, None)
    cli = run_cli(case)
    assert cli.returncode == 2, cli.stderr
    engine = shipgate.Engine.from_path(tmp_path / "policy.gate")
    decision = engine.evaluate(change, shipgate.Catalog(catalog), now=now)
    assert decision.to_json() == cli.stdout.rstrip("\n")
    cab, rehearsal = decision.requirements
    assert [(i.by, i.why) for i in cab.ignored] == [("erik", "not a member of cab")]
    assert (rehearsal.within, rehearsal.satisfied) == ("30d", True)
    assert [(i.by, i.why) for i in rehearsal.ignored] == [("rollback-rehearsal", "failed")]
