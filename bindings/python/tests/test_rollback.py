"""`Engine.rollback` and a decision's `obligations`: the same answers as the CLI, typed
attributes, datetimes and NaN accepted in observations, errors with their JSON paths."""

from __future__ import annotations

import json
import math
import os
import subprocess
from datetime import datetime, timedelta, timezone

import pytest

import shipgate
from conftest import CHANGES_DIR, PAYMENTS, POLICIES, REPO, load

OBSERVATIONS = POLICIES / "observations" / "chg-1048-api-timeouts.yaml"
CHANGE = CHANGES_DIR / "chg-1048-api-timeouts.json"
CATALOG = POLICIES / "catalog.yaml"
AT = datetime(2026, 12, 8, 8, 50, tzinfo=timezone.utc)


@pytest.fixture(autouse=True)
def _from_the_repository(monkeypatch: pytest.MonkeyPatch) -> None:
    # `at` locations name the policy as given: relative, as the CLI's are.
    monkeypatch.chdir(REPO)


def check(now: datetime = AT) -> shipgate.RollbackCheck:
    engine = shipgate.Engine.from_path("policies/payments")
    return engine.rollback(load(CHANGE), shipgate.Catalog(load(CATALOG)), load(OBSERVATIONS), now=now)


def test_states_owner_and_typed_attributes() -> None:
    result = check()
    assert isinstance(result, shipgate.RollbackCheck)
    assert result.rollback is True
    assert result.owner == "sre-oncall"
    assert result.change == "CHG-1048"
    assert result.now == AT
    states = {t.metric: t for t in result.triggers}
    fired = states["error_rate"]
    assert isinstance(fired, shipgate.TriggerCheck)
    assert fired.state == "fired"
    assert fired.since == datetime(2026, 12, 8, 8, 41, tzinfo=timezone.utc)
    assert fired.for_ == timedelta(minutes=5)
    assert fired.op == ">" and fired.threshold == 0.02 and fired.baseline is None
    latency = states["p99_latency"]
    assert latency.state == "ok" and latency.threshold == 180.0 and latency.baseline == 120.0
    health = states["failed_health_checks"]
    assert health.state == "no_data" and health.why is not None and health.why.startswith("stale")
    assert health.since is None and health.on_no_data is None
    assert health.at.startswith("policies/payments/delivery.gate:")


def test_to_dict_equals_the_cli_json() -> None:
    binary = os.environ.get("SHIPGATE_BIN")
    if not binary:
        pytest.skip("SHIPGATE_BIN is not set (scripts/test sets it)")
    cli = subprocess.run(
        [binary, "rollback", "--policy", "policies/payments", "--catalog", "policies/catalog.yaml",
         "--change", str(CHANGE.relative_to(REPO)), "--observations",
         str(OBSERVATIONS.relative_to(REPO)), "--now", "2026-12-08T08:50:00Z", "--format", "json"],
        cwd=REPO, capture_output=True, text=True, check=False,
    )
    assert cli.returncode == 1, cli.stderr
    assert check().to_dict() == json.loads(cli.stdout)


def test_an_earlier_now_reads_earlier_samples_only() -> None:
    result = check(datetime(2026, 12, 8, 8, 40, tzinfo=timezone.utc))
    assert result.rollback is False
    assert [t.state for t in result.triggers] == ["ok", "ok", "ok"]


def test_datetimes_and_nan_in_observations() -> None:
    engine = shipgate.Engine.from_source("rollback { trigger e > 1 for 2m on no_data fire }")
    t0 = datetime(2026, 12, 1, 10, 0, tzinfo=timezone.utc)
    change = {"id": "C", "services": ["api"], "requester": "a", "implementer": "b",
              "start": t0, "duration": "1h"}
    catalog = {"services": [{"id": "api", "tier": 1}]}
    samples = [(t0 + timedelta(minutes=i), 5.0) for i in range(4)]
    result = engine.rollback(change, catalog, {"metrics": {"e": samples}}, now=samples[-1][0])
    assert result.triggers[0].state == "fired"
    samples[-1] = (samples[-1][0], math.nan)
    result = engine.rollback(change, catalog, {"metrics": {"e": samples}}, now=samples[-1][0])
    assert result.triggers[0].state == "no_data"
    assert result.triggers[0].on_no_data == "fire"
    assert result.rollback is True


def test_bad_observations_raise_input_error_with_the_path() -> None:
    engine = shipgate.Engine.from_path(PAYMENTS)
    catalog = shipgate.Catalog(load(CATALOG))
    with pytest.raises(shipgate.InputError) as info:
        engine.rollback(load(CHANGE), catalog, {"metrics": {"error_rate": [["2026-12-08T08:30:00Z", "x"]]}}, now=AT)
    assert info.value.path == "observations.metrics.error_rate[0][1]"
    observations = load(OBSERVATIONS)
    del observations["baseline"]
    with pytest.raises(shipgate.InputError) as info:
        engine.rollback(load(CHANGE), catalog, observations, now=AT)
    assert info.value.path == "observations.baseline.p99_latency"


def test_obligations_of_an_emergency() -> None:
    engine = shipgate.Engine.from_path(PAYMENTS)
    change = load(CHANGES_DIR / "chg-1045-hotfix.json")
    decision = engine.evaluate(change, shipgate.Catalog(load(CATALOG)),
                               now=datetime(2026, 11, 28, 1, 50, tzinfo=timezone.utc))
    assert decision.verdict == "allow"
    [owed] = decision.obligations
    assert isinstance(owed, shipgate.Obligation)
    assert (owed.rule, owed.group, owed.needed) == ("emergency_hotfix", "cab", 2)
    assert owed.due == datetime(2026, 11, 30, 2, 0, tzinfo=timezone.utc)
    assert decision.to_dict()["obligations"] == [
        {"rule": "emergency_hotfix", "group": "cab", "needed": 2, "due": "2026-11-30T02:00:00Z"}
    ]
    routine = engine.evaluate(load(CHANGES_DIR / "chg-1042-checkout-copy.json"),
                              shipgate.Catalog(load(CATALOG)),
                              now=datetime(2026, 12, 1, 8, 0, tzinfo=timezone.utc))
    assert routine.obligations == []
    assert "obligations" not in routine.to_dict()
