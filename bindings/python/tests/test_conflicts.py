"""`Engine.evaluate(..., scheduled=...)`: a plan from `Engine.plan` fed back, the list form, the
decision's `conflicts` as the CLI writes it, `change.conflicts` in a rule, and errors at their
paths (docs/planning.md, "Conflicts")."""

from __future__ import annotations

import json
import subprocess
from datetime import datetime, timezone
from typing import Any

import pytest

import shipgate
from conftest import PAYMENTS, POLICIES, load, shipgate_bin

CHANGE = POLICIES / "changes" / "chg-1048-api-timeouts.json"
NOW = datetime(2026, 12, 4, 12, 0, tzinfo=timezone.utc)
FROM = datetime(2026, 12, 7, 8, 0, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def plan(engine: shipgate.Engine, catalog: shipgate.Catalog) -> dict[str, Any]:
    train = load(POLICIES / "trains" / "december.yaml")
    assert isinstance(train, dict)
    return engine.plan(train["changes"], catalog, start=FROM).to_dict()


def test_a_plan_fed_back_lists_the_conflicts_as_the_cli_does(
    engine: shipgate.Engine, catalog: shipgate.Catalog, plan: dict[str, Any]
) -> None:
    change = load(CHANGE)
    d = engine.evaluate(change, catalog, NOW, scheduled=plan)
    assert d.conflicts is not None
    assert [c.to_dict() for c in d.conflicts] == [
        {
            "change": "CHG-2002",
            "services": ["payments-api"],
            "start": "2026-12-08T08:00:00Z",
            "end": "2026-12-08T09:00:00Z",
            "region": "eu-west",
        }
    ]
    c = d.conflicts[0]
    assert (c.change, c.services, c.region) == ("CHG-2002", ["payments-api"], "eu-west")
    assert c.start == datetime(2026, 12, 8, 8, 0, tzinfo=timezone.utc)
    # The same decision as `check --scheduled`, byte for byte.
    exe = shipgate_bin()
    args = [str(exe), "check", "--policy", str(PAYMENTS), "--catalog", str(POLICIES / "catalog.yaml")]
    args += ["--change", str(CHANGE), "--now", "2026-12-04T12:00:00Z", "--format", "json"]
    args += ["--scheduled", str(POLICIES / "trains" / "december-plan.json")]
    done = subprocess.run(args, capture_output=True, text=True, check=False)
    assert done.returncode == 2, done.stderr
    assert d.to_dict() == json.loads(done.stdout)


def test_without_a_schedule_there_is_no_conflicts_and_the_rule_reads_zero(
    catalog: shipgate.Catalog,
) -> None:
    engine = shipgate.Engine.from_source(
        'rule apart { deny when change.conflicts > 0 message "overlaps" }', "p.gate"
    )
    change = {
        "id": "C-1", "services": ["payments-api"], "requester": "a", "implementer": "b",
        "start": "2026-12-08T09:00:00Z", "duration": "1h",
    }
    cat = {"services": [{"id": "payments-api", "tier": 1}, {"id": "web", "tier": 2,
                                                             "depends_on": ["payments-api"]}]}
    plain = engine.evaluate(change, cat, NOW)
    assert plain.conflicts is None
    assert "conflicts" not in plain.to_dict()
    assert plain.verdict == "allow"
    run = {"id": "W", "services": ["web"], "start": "2026-12-08T09:30:00Z",
           "end": "2026-12-08T10:30:00Z"}
    denied = engine.evaluate(change, cat, NOW, scheduled=[run])
    assert denied.verdict == "deny"
    assert [r.rule for r in denied.reasons] == ["apart"]
    assert denied.inputs != plain.inputs
    later = dict(run, start="2026-12-08T10:00:00Z")
    assert engine.evaluate(change, cat, NOW, scheduled=[later]).verdict == "allow"


@pytest.mark.parametrize(
    ("scheduled", "path", "text"),
    [
        ([{"id": "X", "services": ["payments-api"], "start": "2026-12-08T09:00:00",
           "end": "2026-12-08T10:00:00Z"}], "scheduled[0].start", "offset"),
        ([{"id": "X", "services": ["payment-api"], "start": "2026-12-08T09:00:00Z",
           "end": "2026-12-08T10:00:00Z"}], "scheduled[0].services[0]", "payments-api"),
        ([{"id": "X", "services": [], "start": "2026-12-08T09:00:00Z",
           "end": "2026-12-08T10:00:00Z", "note": "x"}], "scheduled[0].note", "unknown field"),
        ({"runs": []}, "scheduled.changes", "required field is missing"),
    ],
)
def test_bad_schedules_raise_input_errors_at_their_paths(
    engine: shipgate.Engine, catalog: shipgate.Catalog, scheduled: Any, path: str, text: str
) -> None:
    with pytest.raises(shipgate.InputError) as err:
        engine.evaluate(load(CHANGE), catalog, NOW, scheduled=scheduled)
    assert err.value.path == path
    assert text in str(err.value)
