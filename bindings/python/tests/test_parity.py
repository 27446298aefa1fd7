"""Parity with the CLI: `Decision.to_dict()` is the JSON of `shipgate check --format json` for
every change of the example policy set and every case of the corpus.

The CLI is the binary built by `cargo build` (`target/debug/shipgate`) or the one named by the
environment variable SHIPGATE_BIN.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

import shipgate
from conftest import CASES_DIR, CHANGES_DIR, PAYMENTS, POLICIES, REPO, change_files, load, shipgate_bin

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


# --- a decision identifies itself: the same `policy` and `inputs` here, in the CLI, and when
# recomputed in Python from the files (docs/semantics.md, "How a decision identifies itself")


def policy_digest(folder: Path) -> str:
    """The policy digest by hand: every .gate file and every ics file it imports, each as
    name NUL length NUL bytes, in the byte order of the names."""
    files = {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*.gate")}
    for text in list(files.values()):
        for name in re.findall(r'\bics\s+"([^"]+)"', text.decode()):
            ics = (folder / name).resolve().relative_to(folder.resolve()).as_posix()
            files[ics] = (folder / name).read_bytes()
    h = hashlib.sha256()
    for name, data in sorted(files.items(), key=lambda f: (f[0].encode(), f[1])):
        h.update(name.encode() + b"\0" + str(len(data)).encode() + b"\0" + data)
    return "sha256:" + h.hexdigest()


def canonical(value: Any) -> str:
    """RFC 8785 for the values of these files: sorted ASCII keys, whole floats as integers,
    other floats as their shortest repr (the same digits as ECMAScript for these)."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    if isinstance(value, dict):
        items = sorted(value.items())
        return "{" + ",".join(json.dumps(k) + ":" + canonical(v) for k, v in items) + "}"
    if isinstance(value, list):
        return "[" + ",".join(canonical(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


IDENTITY = CASES_DIR / "identity-keys"


def test_the_auditor_functions_of_the_docs_recompute_the_cli_digests() -> None:
    """docs/semantics.md shows how an auditor recomputes `policy` and `inputs` in Python: run
    those very blocks and compare with the CLI's decision."""
    semantics = (REPO / "docs" / "semantics.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", semantics, re.S)
    names: dict[str, Any] = {}
    for block in blocks:
        exec(block, names)  # noqa: S102 - the documentation's own example
    assert {"policy_digest", "inputs_digest"} <= set(names)
    case = Case(IDENTITY, IDENTITY / "catalog.json", IDENTITY / "change.json", EXAMPLE_NOW, False, None)
    cli = json.loads(run_cli(case).stdout)
    assert names["policy_digest"](IDENTITY, ics=["calendars/holidays.ics"]) == cli["policy"]
    assert names["inputs_digest"](case.catalog, case.change) == cli["inputs"]
    # Not a tautology: another catalog gives another digest.
    assert names["inputs_digest"](case.change, case.change) != cli["inputs"]


@pytest.mark.parametrize(
    "case",
    [
        Case(PAYMENTS, POLICIES / "catalog.yaml", CHANGES_DIR / "chg-1043-ledger-migration.json", EXAMPLE_NOW, False, None),
        Case(IDENTITY, IDENTITY / "catalog.json", IDENTITY / "change.json", EXAMPLE_NOW, False, None),
    ],
    ids=["policies/chg-1043", "cases/identity-keys"],
)
def test_policy_and_inputs_are_those_of_the_cli_and_of_the_files(case: Case) -> None:
    cli = json.loads(run_cli(case).stdout)
    decision = decide(case)
    assert decision.policy == cli["policy"] == policy_digest(case.policy)
    assert decision.inputs == cli["inputs"]
    expected = '{"catalog":' + canonical(load(case.catalog)) + ',"change":' + canonical(load(case.change)) + "}"
    assert decision.inputs == "sha256:" + hashlib.sha256(expected.encode()).hexdigest()
    # The change read from its file, or given as a dict with its keys reversed: the same.
    from_file = shipgate.Engine.from_path(case.policy).evaluate(
        shipgate.Change.from_path(case.change), shipgate.Catalog.from_path(case.catalog), now=case.now
    )
    reversed_change = dict(reversed(list(load(case.change).items())))
    again = shipgate.Engine.from_path(case.policy).evaluate(
        reversed_change, shipgate.Catalog(load(case.catalog)), now=case.now
    )
    assert from_file.inputs == again.inputs == decision.inputs
    assert (decision.change, decision.engine) == (cli["change"], cli["engine"])
    assert decision.engine == f"shipgate {shipgate.__version__}"


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
    # A datetime is given to the engine as its RFC 3339 text in UTC: the file says the same, so
    # that the `inputs` digests agree too (docs/semantics.md).
    as_json = json.loads(
        json.dumps(change, default=lambda t: t.astimezone(timezone.utc).isoformat().replace("+00:00", "Z"))
    )
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
