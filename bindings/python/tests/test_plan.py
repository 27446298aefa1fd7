"""`Engine.plan`: the train of policies/trains/december.yaml planned through the binding equals
`shipgate plan --format json` for the same input; the typed attributes agree with `to_dict()`;
errors are `InputError`s at the paths the library names (docs/planning.md)."""

from __future__ import annotations

import json
import subprocess
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

import shipgate
from conftest import PAYMENTS, POLICIES, load, shipgate_bin

TRAIN = POLICIES / "trains" / "december.yaml"
FROM = datetime(2026, 12, 7, 8, 0, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def train() -> list[dict[str, Any]]:
    data = load(TRAIN)
    assert isinstance(data, dict)
    changes = data["changes"]
    assert isinstance(changes, list)
    return changes


def cli_plan() -> Any:
    exe = shipgate_bin()
    if not exe.exists():
        pytest.fail(f"{exe} not found: run `cargo build -p shipgate-cli` or set SHIPGATE_BIN")
    args = [str(exe), "plan", "--policy", str(PAYMENTS), "--catalog", str(POLICIES / "catalog.yaml")]
    args += ["--changes", str(TRAIN), "--from", "2026-12-07T08:00:00Z", "--format", "json"]
    done = subprocess.run(args, capture_output=True, text=True, check=False)
    assert done.returncode == 1, done.stderr  # CHG-2007 and CHG-2008 are unschedulable
    return json.loads(done.stdout)


def test_the_plan_is_the_clis_json(
    engine: shipgate.Engine, catalog: shipgate.Catalog, train: list[dict[str, Any]]
) -> None:
    plan = engine.plan(train, catalog, start=FROM)
    assert plan.to_dict() == cli_plan()


def test_typed_attributes_agree_with_the_dict(
    engine: shipgate.Engine, catalog: shipgate.Catalog, train: list[dict[str, Any]]
) -> None:
    plan = engine.plan(train, catalog, start=FROM)
    data = plan.to_dict()
    assert not plan.is_complete
    assert [u.to_dict() for u in plan.unschedulable] == data["unschedulable"]
    assert [(u.id, u.reason.startswith("after")) for u in plan.unschedulable] == [
        ("CHG-2007", False),
        ("CHG-2008", True),
    ]
    assert [e.to_dict() for e in plan.changes] == data["changes"]
    first = plan.changes[0]
    assert (first.id, first.region, first.wave) == ("CHG-2001", "eu-west", 0)
    assert first.regions == ["eu-west"]
    assert first.services == ["ledger-db"]
    assert first.start == FROM and first.start.tzinfo is not None
    assert first.end - first.start == timedelta(hours=2)
    whole = next(e for e in plan.changes if e.id == "CHG-2005")
    assert whole.region is None and whole.regions == ["eu-west"]
    assert "region" not in whole.to_dict()
    assert [e.wave for e in plan.changes if e.id == "CHG-2004"] == [2, 2]
    assert repr(plan) == f"Plan(changes={len(data['changes'])}, unschedulable=2)"


def test_start_as_text_prepared_changes_and_a_catalog_mapping(
    engine: shipgate.Engine, catalog: shipgate.Catalog, train: list[dict[str, Any]]
) -> None:
    prepared = [shipgate.Change(c) for c in train]
    catalog_data = load(POLICIES / "catalog.yaml")
    by_text = engine.plan(prepared, catalog_data, start="2026-12-07T09:00:00+01:00")
    assert by_text == engine.plan(train, catalog, start=FROM)


INLINE = "tiers low, high\n"


def change(id: str, **extra: Any) -> dict[str, Any]:
    return {"id": id, "services": ["api"], "requester": "ana", "implementer": "bob", "duration": "1h", **extra}


def test_start_defaults_to_now(simple_catalog: shipgate.Catalog) -> None:
    engine = shipgate.Engine.from_source(INLINE)
    before = datetime.now(timezone.utc).replace(microsecond=0)
    plan = engine.plan([change("A")], simple_catalog)
    assert plan.is_complete
    assert plan.changes[0].start >= before
    assert plan.unschedulable == []


def test_a_cycle_is_an_input_error_naming_it(simple_catalog: shipgate.Catalog) -> None:
    engine = shipgate.Engine.from_source(INLINE)
    with pytest.raises(shipgate.InputError) as info:
        engine.plan([change("A", after=["B"]), change("B", after=["A"])], simple_catalog, start=FROM)
    assert info.value.path == "changes[0]"
    assert "the changes form a dependency cycle: A -> B -> A" in str(info.value)


def test_a_bad_field_is_an_input_error_at_its_path(simple_catalog: shipgate.Catalog) -> None:
    engine = shipgate.Engine.from_source(INLINE)
    with pytest.raises(shipgate.InputError) as info:
        engine.plan([change("A"), change("B", start="yesterday")], simple_catalog, start=FROM)
    assert info.value.path == "changes[1].start"
    assert info.value.code == "INPUT_ERROR"
    with pytest.raises(shipgate.InputError) as info:
        engine.plan([change("A"), change("B", legcy=True)], simple_catalog, start=FROM)
    assert info.value.path == "changes[1].legcy"
    with pytest.raises(shipgate.InputError) as info:
        engine.plan([change("A", after=["Z"])], simple_catalog, start=FROM)
    assert info.value.path == "changes[0].after[0]"
    with pytest.raises(shipgate.InputError) as info:
        engine.plan([change("A"), change("A")], simple_catalog, start=FROM)
    assert info.value.path == "changes[1].id"
    with pytest.raises(shipgate.InputError) as info:
        engine.plan([change("A", services=["nope"])], simple_catalog, start=FROM)
    assert info.value.path.startswith("changes[0].services[0]")


def test_bad_arguments_raise_without_crashing(simple_catalog: shipgate.Catalog) -> None:
    engine = shipgate.Engine.from_source(INLINE)
    with pytest.raises(shipgate.InputError) as info:
        engine.plan([change("A")], simple_catalog, start=datetime(2026, 12, 7, 8))
    assert info.value.path == "start"
    with pytest.raises(shipgate.InputError) as info:
        engine.plan([42], simple_catalog, start=FROM)  # type: ignore[list-item]
    assert info.value.path == "changes[0]"
    with pytest.raises(TypeError):
        engine.plan(42, simple_catalog, start=FROM)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        engine.plan([change("A")], 42, start=FROM)  # type: ignore[arg-type]
    assert engine.plan([], simple_catalog, start=FROM).to_dict() == {"changes": [], "unschedulable": []}


FOLLOW = POLICIES / "follow-the-sun"
MONDAY = datetime(2026, 11, 23, tzinfo=timezone.utc)


def cli_replan() -> Any:
    args = [str(shipgate_bin()), "plan", "--policy", str(FOLLOW), "--catalog", str(FOLLOW / "catalog.yaml")]
    args += ["--changes", str(FOLLOW / "train.yaml"), "--from", "2026-11-23T00:00:00Z"]
    args += ["--previous", str(FOLLOW / "previous-plan.json"), "--format", "json"]
    done = subprocess.run(args, capture_output=True, text=True, check=False)
    assert done.returncode == 1, done.stderr  # CHG-3010 is unschedulable
    return json.loads(done.stdout)


def test_previous_gives_the_replan_of_the_cli() -> None:
    engine = shipgate.Engine.from_path(FOLLOW)
    catalog = shipgate.Catalog.from_path(FOLLOW / "catalog.yaml")
    train = load(FOLLOW / "train.yaml")["changes"]  # type: ignore[index]
    previous = json.loads((FOLLOW / "previous-plan.json").read_text())
    plan = engine.plan(train, catalog, start=MONDAY, previous=previous)
    assert plan.to_dict() == cli_replan()
    since = plan.since
    assert since is not None
    assert [c["id"] for c in since["cancelled"]] == ["CHG-3011"]
    assert since["cancelled"][0]["notify"] == ["release-managers"]
    assert [u["id"] for u in since["newly_unschedulable"]] == ["CHG-3010"]
    assert since["moved"][0] == {
        "id": "CHG-3001",
        "region": "ap-southeast",
        "from": {"start": "2026-11-23T01:00:00Z", "end": "2026-11-23T01:30:00Z"},
        "to": {"start": "2026-11-23T01:00:00Z", "end": "2026-11-23T02:00:00Z"},
        "notify": ["release-managers", "dba-oncall", "customer-support"],
    }
    assert plan.changes[0].notify == ["release-managers", "dba-oncall", "customer-support"]
    assert plan.unschedulable[0].notify == ["release-managers"]
    assert plan.replan_warnings == []
    # A Plan is a previous plan too: nothing changed since itself.
    again = engine.plan(train, catalog, start=MONDAY, previous=plan)
    assert again.since == {"moved": [], "cancelled": [], "newly_unschedulable": [], "newly_planned": []}
    # Without previous, no replan keys.
    alone = engine.plan(train, catalog, start=MONDAY)
    assert alone.since is None and "moved" not in alone.to_dict()


def test_an_older_previous_plan_warns_and_a_bad_one_is_an_input_error(
    simple_catalog: shipgate.Catalog,
) -> None:
    engine = shipgate.Engine.from_source(INLINE + 'notify "ops"\nnotify "dba" when tier == high\n')
    old = {"changes": [{"id": "GONE", "start": "2026-12-07T08:00:00Z", "end": "2026-12-07T09:00:00Z"}]}
    plan = engine.plan([change("A")], simple_catalog, start=FROM, previous=old)
    assert plan.since is not None
    assert plan.since["cancelled"] == [{"id": "GONE", "notify": ["ops"]}]
    assert len(plan.replan_warnings) == 1
    assert plan.replan_warnings[0].startswith('previous.changes[0]: the earlier plan records no "notify"')
    with pytest.raises(shipgate.InputError) as info:
        engine.plan([change("A")], simple_catalog, start=FROM, previous={"changes": [{"id": 1}]})
    assert info.value.path == "previous.changes[0].id"
    with pytest.raises(shipgate.InputError) as info:
        engine.plan([change("A")], simple_catalog, start=FROM, previous={"changes": [], "extra": 1})
    assert info.value.path == "previous.extra"
