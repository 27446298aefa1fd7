"""Every public function and class of the package, against the SPEC and the example policies."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

import shipgate
from conftest import CASES_DIR, CHANGES_DIR, NOW, PAYMENTS, load

# A small policy in the language of SPEC section 2.
TWO_EYES = """\
tiers low, high
default allow
tier high when change.size > 100

rule two_eyes {
  deny when change.requester == change.implementer
  message "requester {change.requester} may not implement {change.id}"
}

rule big_needs_cab {
  when tier >= high
  require approval "cab" count 2
}
"""


def test_package_exports_everything_it_documents() -> None:
    assert sorted(shipgate.__all__) == sorted(
        [
            "AuditLog",
            "Catalog",
            "Change",
            "Conflict",
            "metrics",
            "metrics_svg",
            "draw_graph",
            "read_document",
            "Decision",
            "Engine",
            "Exemption",
            "Ignored",
            "InputError",
            "Obligation",
            "Plan",
            "PlannedChange",
            "PolicyError",
            "Reason",
            "RegionSchedule",
            "ServiceSchedule",
            "ChangeSchedule",
            "Requirement",
            "RollbackCheck",
            "RollbackTrigger",
            "Schedule",
            "ShipgateError",
            "Stretch",
            "TraceEntry",
            "TriggerCheck",
            "Unschedulable",
            "WaiverOutcome",
            "__version__",
        ]
    )
    for name in shipgate.__all__:
        assert getattr(shipgate, name) is getattr(shipgate._shipgate, name)
    assert shipgate.Engine.__module__ == "shipgate"
    assert shipgate.ShipgateError.__module__ == "shipgate"
    assert isinstance(shipgate.__version__, str) and shipgate.__version__.count(".") == 2


def test_package_ships_typing_files() -> None:
    package = Path(shipgate.__file__).parent
    assert (package / "py.typed").exists()
    assert (package / "_shipgate.pyi").exists()


# --- Engine construction ----------------------------------------------------------------------


def test_from_path_accepts_folder_file_pathlike_and_list(catalog: shipgate.Catalog) -> None:
    by_str = shipgate.Engine.from_path(str(PAYMENTS))
    by_path = shipgate.Engine.from_path(PAYMENTS)
    files = sorted(PAYMENTS.glob("*.gate"))
    by_list = shipgate.Engine.from_path(files)
    change = load(CHANGES_DIR / "chg-1042-checkout-copy.json")
    decisions = [e.evaluate(change, catalog, now=NOW) for e in (by_str, by_path, by_list)]
    assert decisions[0] == decisions[1] == decisions[2]


def test_from_path_rejects_a_non_path() -> None:
    with pytest.raises(TypeError):
        shipgate.Engine.from_path(42)  # type: ignore[arg-type]


def test_from_path_compiles_the_example_regions(engine: shipgate.Engine) -> None:
    assert engine.regions == ["eu-west", "us-east"]
    assert engine.warnings == []
    assert engine.render_warnings() == ""
    assert repr(engine) == "Engine(regions=['eu-west', 'us-east'])"


def test_warnings_are_rendered() -> None:
    source = "extend change { cost_center: string? }\nrule r { deny when change.cost_center == \"x\" }\n"
    engine = shipgate.Engine.from_source(source, name="warn.gate")
    assert "warn.gate:2:" in engine.render_warnings()
    assert "warning" in engine.render_warnings()


def test_from_source_names_the_file_in_locations(simple_catalog: shipgate.Catalog) -> None:
    engine = shipgate.Engine.from_source(TWO_EYES, name="two_eyes.gate")
    change = {
        "id": "CHG-7",
        "services": ["web"],
        "requester": "ana",
        "implementer": "ana",
        "start": "2026-12-01T10:00:00Z",
        "duration": "1h",
    }
    d = engine.evaluate(change, simple_catalog, now=NOW)
    assert d.verdict == "deny"
    [reason] = d.reasons
    assert reason.rule == "two_eyes"
    assert reason.message == "requester ana may not implement CHG-7"
    assert reason.at.startswith("two_eyes.gate:6:")


def test_from_source_default_name_is_inline_gate(simple_catalog: shipgate.Catalog) -> None:
    engine = shipgate.Engine.from_source(TWO_EYES)
    change = {
        "id": "CHG-7",
        "services": ["web"],
        "requester": "ana",
        "implementer": "ana",
        "duration": "1h",
    }
    d = engine.evaluate(change, simple_catalog, now=NOW)
    assert [r.at.split(":")[0] for r in d.reasons] == ["inline.gate"]


# --- evaluate ---------------------------------------------------------------------------------


def test_evaluate_tiers_and_requirements(simple_catalog: shipgate.Catalog) -> None:
    engine = shipgate.Engine.from_source(TWO_EYES)
    change = {
        "id": "CHG-8",
        "services": ["web"],
        "requester": "ana",
        "implementer": "bob",
        "approvals": [
            {"by": "cy", "group": "cab", "at": "2026-11-30T10:00:00Z"},
            {"by": "ana", "group": "cab", "at": "2026-11-30T10:05:00Z"},
        ],
        "size": 500,
        "duration": "1h",
        "start": "2026-12-01T10:00:00Z",
    }
    d = engine.evaluate(change, simple_catalog, now=NOW)
    assert d.verdict == "pending"
    assert d.tier == "high"
    [req] = d.requirements
    assert (req.rule, req.kind, req.group, req.check) == ("big_needs_cab", "approval", "cab", None)
    assert req.needed == 2
    assert req.counted == ["cy"]
    assert [(i.by, i.why) for i in req.ignored] == [("ana", "requester")]
    assert req.satisfied is False

    change["approvals"].append({"by": "dee", "group": "cab", "at": "2026-11-30T11:00:00Z"})
    assert engine.evaluate(change, simple_catalog, now=NOW).verdict == "allow"
    change["size"] = 5
    low = engine.evaluate(change, simple_catalog, now=NOW)
    assert (low.verdict, low.tier, low.requirements) == ("allow", "low", [])


def test_evaluate_accepts_a_prepared_change(
    engine: shipgate.Engine, catalog: shipgate.Catalog, ledger_change: dict[str, Any]
) -> None:
    prepared = shipgate.Change(ledger_change)
    assert prepared.id == "CHG-1043"
    assert repr(prepared) == "Change(id='CHG-1043')"
    assert repr(shipgate.Change({**ledger_change, "id": "it's"})) == 'Change(id="it\'s")'
    from_dict = engine.evaluate(ledger_change, catalog, now=NOW)
    from_prepared = engine.evaluate(prepared, catalog, now=NOW)
    assert from_dict == from_prepared
    assert from_dict.to_json() == from_prepared.to_json()


def test_evaluate_takes_a_catalog_or_a_mapping(
    engine: shipgate.Engine,
    catalog: shipgate.Catalog,
    catalog_data: dict[str, Any],
    ledger_change: dict[str, Any],
) -> None:
    from_dict = engine.evaluate(ledger_change, catalog_data, now=NOW)
    assert from_dict.to_json() == engine.evaluate(ledger_change, catalog, now=NOW).to_json()
    many = engine.evaluate_many([ledger_change], catalog_data, now=NOW)
    assert many[0].to_json() == from_dict.to_json()
    with pytest.raises(TypeError, match="shipgate.Catalog or a mapping"):
        engine.evaluate(ledger_change, 42, now=NOW)  # type: ignore[arg-type]


def test_evaluate_the_readme_example(
    engine: shipgate.Engine, catalog: shipgate.Catalog, ledger_change: dict[str, Any]
) -> None:
    """CHG-1043 on 2026-12-18: a critical database change into the year-end freeze."""
    d = engine.evaluate(ledger_change, catalog, now=datetime(2026, 12, 18, 9, tzinfo=timezone.utc))
    assert d.verdict == "deny"
    assert d.tier == "critical"
    schedule_reasons = [r for r in d.reasons if r.rule == "schedule"]
    assert len(schedule_reasons) == 1
    assert "year-end freeze" in schedule_reasons[0].message
    cab = next(r for r in d.requirements if r.rule == "cab_review")
    assert (cab.counted, cab.satisfied) == (["ana"], False)
    assert [(i.by, i.why) for i in cab.ignored] == [
        ("bob", "requester"),
        ("lena", "not a member of cab"),
    ]
    [region] = d.schedule.regions
    assert region.region == "eu-west"
    assert region.open is False
    assert "year-end freeze" in region.blocked_by
    assert region.next_window is not None
    assert region.next_window.start >= datetime(2027, 1, 5, tzinfo=timezone.utc)
    assert d.schedule.allowed is False
    assert d.order == [["ledger-db"]]
    assert "business-stakeholders" in d.notify
    assert d.strategy == "canary"  # critical, and ledger-db is monitored


def test_explain_fills_the_trace(
    engine: shipgate.Engine, catalog: shipgate.Catalog, ledger_change: dict[str, Any]
) -> None:
    plain = engine.evaluate(ledger_change, catalog, now=NOW)
    explained = engine.evaluate(ledger_change, catalog, now=NOW, explain=True)
    assert plain.trace == []
    assert explained.trace, "explain=True must record the steps"
    kinds = {t.kind for t in explained.trace}
    assert {"tier", "rule"} <= kinds
    for t in explained.trace:
        assert t.name and t.outcome
        shown = {"kind": t.kind, "name": t.name, "outcome": t.outcome, "at": t.at}
        if t.values:
            shown["values"] = t.values
        assert t.to_dict() == shown
    # Everything but the trace and the closing steps is the same decision.
    a, b = plain.to_dict(), explained.to_dict()
    a.pop("trace")
    b.pop("trace")
    assert plain.to_ship is None and "to_ship" not in a
    assert b.pop("to_ship") == explained.to_ship
    assert a == b


def test_explain_shows_the_values_seen_and_what_it_takes_to_ship(
    engine: shipgate.Engine, catalog: shipgate.Catalog, ledger_change: dict[str, Any]
) -> None:
    later = datetime(2026, 12, 18, 9, 0, tzinfo=timezone.utc)
    d = engine.evaluate(ledger_change, catalog, now=later, explain=True)
    [critical, *_] = [t for t in d.trace if t.kind == "tier"]
    assert critical.values == [
        {"expr": "any s in change.services: s.tier == 0", "result": True, "witness": "ledger-db"}
    ]
    medium = [t for t in d.trace if t.kind == "tier" and t.name == "medium"][0]
    assert medium.values[0]["operands"] == [
        {"expr": "change.size", "value": 620},
        {"expr": "300", "value": 300, "literal": True},
    ]
    assert d.to_ship is not None
    steps = [(s["step"], s.get("group"), s.get("missing")) for s in d.to_ship]
    assert steps[0] == ("approval", "cab", 1)
    assert d.to_ship[0]["text"].startswith(
        "get 1 more approval from cab (have ana; bob is the requester"
    )
    assert d.to_ship[-1]["step"] == "window"
    assert d.to_ship[-1]["text"].endswith("opening Tue 5 Jan 2027 09:00 Europe/Berlin")
    assert d.to_ship[-1]["window"]["start"] == "2027-01-05T08:00:00Z"


# --- the decision object ----------------------------------------------------------------------


def test_decision_attributes_match_to_dict(
    engine: shipgate.Engine, catalog: shipgate.Catalog
) -> None:
    for path in sorted(CHANGES_DIR.iterdir()):
        d = engine.evaluate(load(path), catalog, now=NOW, explain=True)
        full = d.to_dict()
        # `obligations` is there only when approvals are owed after the change (the hotfix).
        owed = full.pop("obligations", [])
        assert [o.to_dict() for o in d.obligations] == owed
        assert bool(owed) == (full["change"] == "CHG-1045")
        assert list(full) == [
            "verdict",
            "change",
            "now",
            "tier",
            "reasons",
            "requirements",
            "exemptions",
            "waivers",
            "schedule",
            "strategy",
            "rollback",
            "notify",
            "order",
            "trace",
            "to_ship",
            "policy",
            "inputs",
            "engine",
        ]
        assert d.to_ship == full["to_ship"]
        assert d.verdict == full["verdict"] and d.verdict in ("allow", "pending", "deny")
        assert d.change == full["change"]
        assert d.now == datetime.fromisoformat(full["now"].replace("Z", "+00:00"))
        assert (d.policy, d.inputs, d.engine) == (full["policy"], full["inputs"], full["engine"])
        assert d.tier == full["tier"]
        assert [r.to_dict() for r in d.reasons] == full["reasons"]
        assert [r.to_dict() for r in d.requirements] == full["requirements"]
        assert [e.to_dict() for e in d.exemptions] == full["exemptions"]
        assert [w.to_dict() for w in d.waivers] == full["waivers"]
        assert d.schedule.to_dict() == full["schedule"]
        assert d.strategy == full["strategy"]
        assert [t.to_dict() for t in d.rollback] == full["rollback"]
        assert d.notify == full["notify"]
        assert d.order == full["order"]
        assert [t.to_dict() for t in d.trace] == full["trace"]
        assert json.loads(d.to_json()) == (full | {"obligations": owed} if owed else full)

        s = d.schedule
        assert s.start.isoformat().replace("+00:00", "Z") == full["schedule"]["start"]
        assert s.end.isoformat().replace("+00:00", "Z") == full["schedule"]["end"]
        assert (s.allowed, s.tzdb) == (full["schedule"]["allowed"], full["schedule"]["tzdb"])
        for region, want in zip(s.regions, full["schedule"]["regions"]):
            assert (region.region, region.open, region.blocked_by) == (
                want["region"],
                want["open"],
                want["blocked_by"],
            )
            if want["next_window"] is None:
                assert region.next_window is None
            else:
                assert region.next_window is not None
                assert region.next_window.to_dict() == want["next_window"]
        for r, want in zip(d.requirements, full["requirements"]):
            assert r.counted == want["counted"]
            assert [i.to_dict() for i in r.ignored] == want["ignored"]
            assert r.needed == want["needed"] and r.satisfied == want["satisfied"]
        for t, want in zip(d.rollback, full["rollback"]):
            assert (t.metric, t.op, t.threshold) == (want["metric"], want["op"], want["threshold"])
            assert t.relative_to == want.get("relative_to")
            assert t.on_no_data == want.get("on_no_data")


def test_rollback_triggers_are_typed(
    engine: shipgate.Engine, catalog: shipgate.Catalog, ledger_change: dict[str, Any]
) -> None:
    d = engine.evaluate(ledger_change, catalog, now=NOW)
    triggers = {t.metric: t for t in d.rollback}
    assert set(triggers) == {"error_rate", "p99_latency", "failed_health_checks"}
    error_rate = triggers["error_rate"]
    assert (error_rate.op, error_rate.threshold, error_rate.for_) == (">", 0.02, timedelta(minutes=5))
    assert error_rate.relative_to is None
    p99 = triggers["p99_latency"]
    assert (p99.threshold, p99.relative_to, p99.for_) == (1.5, "baseline", timedelta(minutes=10))
    assert p99.to_dict()["for"] == "10m"


def test_decision_equality_and_repr(
    engine: shipgate.Engine, catalog: shipgate.Catalog, ledger_change: dict[str, Any]
) -> None:
    a = engine.evaluate(ledger_change, catalog, now=NOW)
    b = engine.evaluate(ledger_change, catalog, now=NOW)
    assert a == b and a is not b
    explained = engine.evaluate(ledger_change, catalog, now=NOW, explain=True)
    assert (a == explained) == (explained.trace == [])
    assert repr(a).startswith(f"Decision(verdict='{a.verdict}', tier='{a.tier}'")
    assert repr(a.schedule).startswith("Schedule({")


def test_to_json_is_the_clis_text(
    engine: shipgate.Engine, catalog: shipgate.Catalog, ledger_change: dict[str, Any]
) -> None:
    d = engine.evaluate(ledger_change, catalog, now=NOW)
    text = d.to_json()
    assert text.startswith('{\n  "verdict": ')
    assert json.dumps(d.to_dict(), indent=2, ensure_ascii=False) == text


# --- Catalog and Change -----------------------------------------------------------------------


def test_catalog_is_compiled_once(catalog: shipgate.Catalog, catalog_data: dict[str, Any]) -> None:
    ids = [s["id"] for s in catalog_data["services"]]
    assert catalog.service_ids == ids
    assert len(catalog) == len(ids)
    assert "ledger-db" in catalog
    assert "nope" not in catalog
    assert 3 not in catalog
    assert repr(catalog) == f"Catalog({len(ids)} services)"


def test_catalog_accepts_any_mapping_and_tuples() -> None:
    from types import MappingProxyType

    data = MappingProxyType({"services": ({"id": "a", "tier": 1},)})
    assert shipgate.Catalog(data).service_ids == ["a"]


# --- evaluate_many ----------------------------------------------------------------------------


def test_evaluate_many_matches_evaluate_in_order(
    engine: shipgate.Engine, catalog: shipgate.Catalog
) -> None:
    changes = [load(p) for p in sorted(CHANGES_DIR.iterdir())]
    batch = changes * 30  # past the size where the engine goes parallel
    for i, c in enumerate(batch):
        batch[i] = {**c, "id": f"{c['id']}-{i}", "size": i * 7}
    mixed: list[Any] = [shipgate.Change(c) if i % 2 else c for i, c in enumerate(batch)]
    got = engine.evaluate_many(mixed, catalog, now=NOW)
    want = [engine.evaluate(c, catalog, now=NOW) for c in batch]
    assert got == want
    assert engine.evaluate_many([], catalog, now=NOW) == []
    assert engine.evaluate_many(iter(batch[:3]), catalog, now=NOW) == want[:3]


# --- next_window ------------------------------------------------------------------------------


def test_next_window(engine: shipgate.Engine) -> None:
    # Saturday 2026-12-05: emea has no window until Monday 09:00 Berlin (08:00 UTC).
    after = datetime(2026, 12, 5, 12, tzinfo=timezone.utc)
    w = engine.next_window("eu-west", after, timedelta(hours=2))
    assert w is not None
    assert w.start == datetime(2026, 12, 7, 8, tzinfo=timezone.utc)
    assert w.end - w.start >= timedelta(hours=2)
    assert w.to_dict() == {"start": "2026-12-07T08:00:00Z", "end": w.end.strftime("%Y-%m-%dT%H:%M:%SZ")}
    assert engine.next_window("eu-west", after, "2h") == w
    assert engine.next_window("eu-west", after, 7200) == w
    assert engine.next_window("eu-west", "2026-12-05T13:00:00+01:00", 7200) == w


def test_change_next_window_fits_every_region_at_once() -> None:
    # London, New York and Singapore share 11:00-18:00 UTC on weekdays; New York's quarter
    # close and Singapore's payroll run push the whole change to Friday, though New York
    # alone would go on Thursday.
    from conftest import CASES_DIR

    case = CASES_DIR / "calendar-three-regions-window-days-away"
    engine = shipgate.Engine.from_path(case)
    catalog = shipgate.Catalog(load(case / "catalog.json"))
    change = load(case / "change.json")
    after = datetime(2026, 12, 14, 12, tzinfo=timezone.utc)
    w = engine.change_next_window(change, catalog, after)
    assert w is not None
    assert w.to_dict() == {"start": "2026-12-18T11:00:00Z", "end": "2026-12-18T18:00:00Z"}
    assert engine.change_next_window(shipgate.Change(change), load(case / "catalog.json"), after) == w
    us = engine.next_window("us", after, "2h")
    assert us is not None and us.start == datetime(2026, 12, 17, 11, tzinfo=timezone.utc)
    # The decision's schedule says the same.
    d = engine.evaluate(change, catalog, now=datetime(2026, 12, 11, 12, tzinfo=timezone.utc))
    assert d.schedule.next_window == w
    # No common hour at all: None; an unknown region is the decision's input error.
    none = CASES_DIR / "calendar-three-regions-no-common-window"
    assert shipgate.Engine.from_path(none).change_next_window(load(none / "change.json"), catalog, after) is None
    with pytest.raises(shipgate.InputError) as e:
        engine.change_next_window({**change, "regions": ["eu", "mars"]}, catalog, after)
    assert e.value.path == "change.regions[1]"


def test_next_window_none_when_nothing_fits(engine: shipgate.Engine) -> None:
    # No emea window is longer than 7 hours.
    after = datetime(2026, 12, 5, 12, tzinfo=timezone.utc)
    assert engine.next_window("eu-west", after, timedelta(hours=8)) is None


def test_a_blackout_waiver_names_its_blackout_not_a_rule() -> None:
    """SPEC 8.3: a waiver lifts the blackouts of one name; the outcome says which."""
    case = CASES_DIR / "waiver-blackout-honored"
    engine = shipgate.Engine.from_path(case)
    catalog = shipgate.Catalog.from_path(case / "catalog.json")
    change = load(case / "change.json")
    d = engine.evaluate(change, catalog, now=datetime(2026, 12, 21, 9, tzinfo=timezone.utc))
    assert d.verdict == "allow"
    (w,) = d.waivers
    assert (w.rule, w.blackout, w.by, w.honored) == ("", "business freeze", "maria", True)
    assert w.to_dict() == {"blackout": "business freeze", "by": "maria", "honored": True}
    (e,) = d.exemptions
    assert (e.waiver, e.lifts, e.blackouts) == ("maria", "blackout", ["business freeze"])
    # A rule waiver has no blackout.
    change["waivers"][0] = {**change["waivers"][0], "rule": "x"}
    del change["waivers"][0]["blackout"]
    d = engine.evaluate(change, catalog, now=datetime(2026, 12, 21, 9, tzinfo=timezone.utc))
    assert d.waivers[0].blackout is None and d.waivers[0].rule == "x"
    assert d.waivers[0].why == "no rule named x"


def test_schedule_lists_service_and_change_calendars() -> None:
    # A service downstream of the ledger meets New York's nightly batch (SPEC 8.3).
    from conftest import CASES_DIR

    case = CASES_DIR / "scope-service-upstream-batch"
    engine = shipgate.Engine.from_path(case / "policy.gate")
    catalog = shipgate.Catalog(load(case / "catalog.json"))
    d = engine.evaluate(load(case / "change.json"), catalog, now=datetime(2026, 12, 1, 7, tzinfo=timezone.utc))
    assert d.verdict == "deny"
    [s] = d.schedule.services
    assert isinstance(s, shipgate.ServiceSchedule)
    assert (s.service, s.calendars, s.open, s.blocked_by) == (
        "payments-web",
        ["ledger-batch"],
        False,
        ["ledger nightly batch"],
    )
    assert s.next_window is not None and s.next_window.start == datetime(2026, 12, 1, 10, tzinfo=timezone.utc)
    assert s.to_dict() == d.to_dict()["schedule"]["services"][0]
    assert d.schedule.change is None
    dba = CASES_DIR / "scope-change-dba-window"
    d = shipgate.Engine.from_path(dba / "policy.gate").evaluate(
        load(dba / "change.json"), shipgate.Catalog(load(dba / "catalog.json")), now=NOW
    )
    c = d.schedule.change
    assert isinstance(c, shipgate.ChangeSchedule)
    assert (c.calendars, c.open, c.blocked_by) == (["dba"], False, ["outside windows"])
    assert d.schedule.services == []
