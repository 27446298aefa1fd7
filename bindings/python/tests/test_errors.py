"""Errors: one tree rooted at ShipgateError; policy errors with file:line:col, input errors
with the JSON path of the value."""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

import shipgate
from conftest import NOW


def test_exception_tree() -> None:
    assert issubclass(shipgate.ShipgateError, Exception)
    assert issubclass(shipgate.PolicyError, shipgate.ShipgateError)
    assert issubclass(shipgate.InputError, shipgate.ShipgateError)
    assert not issubclass(shipgate.PolicyError, shipgate.InputError)
    assert not issubclass(shipgate.InputError, shipgate.PolicyError)
    assert shipgate.PolicyError.__module__ == "shipgate"


# --- policy errors ----------------------------------------------------------------------------

UNKNOWN_TIER = """\
tiers low, high
tier hihg when change.size > 100
"""


def test_policy_error_has_location_and_rendered_diagnostic() -> None:
    with pytest.raises(shipgate.PolicyError) as info:
        shipgate.Engine.from_source(UNKNOWN_TIER, name="bad.gate")
    e = info.value
    assert (e.path, e.line, e.column) == ("bad.gate", 2, 6)
    text = str(e)
    assert "bad.gate:2:6" in text
    assert "hihg" in text
    assert "did you mean `high`?" in text
    assert e.diagnostics == text
    assert "tier hihg when" in text  # the source line is shown under the location


def test_policy_error_reports_every_error_and_locates_the_first() -> None:
    source = "tiers low, high\ntier hihg when change.size > 1\ntier lwo when change.size > 2\n"
    with pytest.raises(shipgate.PolicyError) as info:
        shipgate.Engine.from_source(source, name="two.gate")
    e = info.value
    assert (e.line, e.column) == (2, 6)
    assert "two.gate:2:6" in str(e) and "two.gate:3:6" in str(e)


def test_policy_syntax_error_is_located() -> None:
    source = "tiers low, high\n\nrule broken {\n  deny when\n}\n"
    with pytest.raises(shipgate.PolicyError) as info:
        shipgate.Engine.from_source(source, name="syntax.gate")
    e = info.value
    assert e.path == "syntax.gate"
    assert e.line is not None and e.line >= 4
    assert e.column is not None and e.column >= 1
    assert f"syntax.gate:{e.line}:{e.column}" in str(e)


def test_policy_error_from_a_folder_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "a.gate").write_text("tiers low, high\n")
    (tmp_path / "b.gate").write_text("# second file\nrule r { deny when change.size > 1 }\ntier hihg when change.size > 2\n")
    with pytest.raises(shipgate.PolicyError) as info:
        shipgate.Engine.from_path(tmp_path)
    e = info.value
    assert e.path is not None and Path(e.path).name == "b.gate"
    assert (e.line, e.column) == (3, 6)


def test_missing_policy_path_is_a_policy_error(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    with pytest.raises(shipgate.PolicyError) as info:
        shipgate.Engine.from_path(missing)
    e = info.value
    assert e.path is not None and "nowhere" in e.path
    assert "nowhere" in str(e)


# --- input errors: the change -----------------------------------------------------------------


def assert_input_error(exc: pytest.ExceptionInfo[shipgate.InputError], path: str, *words: str) -> None:
    e = exc.value
    assert e.path == path, str(e)
    assert str(e) == e.message
    assert e.message.startswith(f"{e.path}: "), e.message
    for w in words:
        assert w in e.message, e.message


def evaluate(change: Any, catalog: shipgate.Catalog) -> shipgate.Decision:
    engine = shipgate.Engine.from_source("tiers low, high\n")
    return engine.evaluate(change, catalog, now=NOW)


@pytest.mark.parametrize(
    ("edit", "path", "words"),
    [
        (lambda c: c.pop("services"), "change.services", ["required field is missing"]),
        (lambda c: c.pop("duration"), "change.duration", ["required field is missing"]),
        (lambda c: c.update(requester=7), "change.requester", ["expected a string"]),
        (lambda c: c.update(start="2026-12-01 10:00"), "change.start", ["naive"]),
        (lambda c: c.update(start=datetime(2026, 12, 1, 10)), "change.start", ["naive datetime"]),
        (lambda c: c.update(start=date(2026, 12, 1)), "change.start", ["date alone"]),
        (
            lambda c: c.update(approvals=[{"by": "x", "group": "cab", "at": NOW}, {"by": "y", "group": "cab", "at": 5}]),
            "change.approvals[1].at",
            ["RFC 3339"],
        ),
        (
            lambda c: c.update(approvals=[{"by": "x", "group": "cab", "at": datetime(2026, 11, 30)}]),
            "change.approvals[0].at",
            ["naive datetime"],
        ),
        (
            lambda c: c.update(waivers=[{"rule": "r", "by": "x", "group": "g", "granted_at": NOW, "expires_at": datetime(2026, 12, 2)}]),
            "change.waivers[0].expires_at",
            ["naive datetime"],
        ),
        (lambda c: c.update(approvals=[{"by": "x", "group": "cab", "at": NOW, "note": 1}]), "change.approvals[0].note", ["unknown field"]),
        (lambda c: c.update(labels={"a", "b"}), "change.labels", ["unsupported type set"]),
        (lambda c: c.update(checks=["unit", b"e2e"]), "change.checks[1]", ["unsupported type bytes"]),
        (lambda c: c.update({"my key": object()}), 'change["my key"]', ["unsupported type object"]),
        (lambda c: c.update(size=math.nan), "change.size", ["finite"]),
        (lambda c: c.update(size=2**70), "change.size", ["out of range"]),
        (lambda c: c.update(size=-1), "change.size", ["non-negative"]),
        (lambda c: c.update({3: "x"}), "change", ["keys must be strings", "int 3"]),
        (lambda c: c.update(duration=timedelta(seconds=1.5)), "change.duration", ["whole seconds"]),
        (lambda c: c.update(duration=timedelta(hours=-1)), "change.duration", ["negative"]),
        (lambda c: c.update(duration="2 fortnights"), "change.duration", ["invalid duration"]),
        (lambda c: c.update(title="bad \udc00 text"), "change.title", ["surrogate"]),
        (lambda c: c.update(services=["api", "api"]), "change.services[1]", ["listed twice"]),
        (lambda c: c.update(services=["nope"]), "change.services[0]", ["nope"]),
    ],
)
def test_change_input_errors_name_the_json_path(
    simple_change: dict[str, Any],
    simple_catalog: shipgate.Catalog,
    edit: Any,
    path: str,
    words: list[str],
) -> None:
    edit(simple_change)
    with pytest.raises(shipgate.InputError) as info:
        evaluate(simple_change, simple_catalog)
    assert_input_error(info, path, *words)


def test_change_constructor_raises_the_same_errors(simple_change: dict[str, Any]) -> None:
    simple_change["start"] = datetime(2026, 12, 1, 10)
    with pytest.raises(shipgate.InputError) as info:
        shipgate.Change(simple_change)
    assert_input_error(info, "change.start", "naive datetime")


def test_change_that_is_not_a_mapping(simple_catalog: shipgate.Catalog) -> None:
    for bad in (None, [], "CHG-1", 3):
        with pytest.raises(shipgate.InputError) as info:
            evaluate(bad, simple_catalog)
        assert info.value.path == "change"


def test_deep_and_cyclic_inputs_are_input_errors(
    simple_change: dict[str, Any], simple_catalog: shipgate.Catalog
) -> None:
    deep: Any = "leaf"
    for _ in range(100_000):
        deep = [deep]
    simple_change["extra"] = deep
    with pytest.raises(shipgate.InputError, match="nested more than"):
        evaluate(simple_change, simple_catalog)
    cyclic: dict[str, Any] = {}
    cyclic["self"] = cyclic
    simple_change["extra"] = cyclic
    with pytest.raises(shipgate.InputError) as info:
        evaluate(simple_change, simple_catalog)
    assert info.value.path.startswith("change.extra.self.self.self")


# --- input errors: the catalog and the arguments ----------------------------------------------


@pytest.mark.parametrize(
    ("data", "path", "words"),
    [
        ([], "catalog", ["expected an object"]),
        ({}, "catalog.services", ["required field is missing"]),
        ({"services": [{"id": "a"}]}, "catalog.services[0].tier", ["required field is missing"]),
        ({"services": [{"id": "a", "tier": 7}]}, "catalog.services[0].tier", ["0 to 3"]),
        (
            {"services": [{"id": "a", "tier": 1}, {"id": "b", "tier": 1, "depends_on": ["c"]}]},
            "catalog.services[1].depends_on[0]",
            ['"c"'],
        ),
        (
            {"services": [{"id": "a", "tier": 1}, {"id": "a", "tier": 2}]},
            "catalog.services[1].id",
            ["duplicate"],
        ),
        ({"services": [{"id": "a", "tier": 1, "regions": ("eu", None)}]}, "catalog.services[0].regions[1]", ["string"]),
    ],
)
def test_catalog_input_errors_name_the_json_path(data: Any, path: str, words: list[str]) -> None:
    with pytest.raises(shipgate.InputError) as info:
        shipgate.Catalog(data)
    assert_input_error(info, path, *words)


def test_now_must_be_aware(simple_change: dict[str, Any], simple_catalog: shipgate.Catalog) -> None:
    engine = shipgate.Engine.from_source("tiers low, high\n")
    with pytest.raises(shipgate.InputError) as info:
        engine.evaluate(simple_change, simple_catalog, now=datetime(2026, 12, 1, 9))
    assert_input_error(info, "now", "naive datetime")
    with pytest.raises(shipgate.InputError) as info:
        engine.evaluate(simple_change, simple_catalog, now=1_700_000_000)  # type: ignore[arg-type]
    assert_input_error(info, "now", "aware datetime", "int")
    with pytest.raises(shipgate.InputError) as info:
        engine.evaluate_many([simple_change], simple_catalog, now="2026-12-01T09:00")
    assert_input_error(info, "now", "naive")


def test_evaluate_many_names_the_index(
    simple_change: dict[str, Any], simple_catalog: shipgate.Catalog
) -> None:
    engine = shipgate.Engine.from_source("tiers low, high\n")
    bad_start = {**simple_change, "start": datetime(2026, 12, 1, 10)}
    unknown_service = {**simple_change, "services": ["api", "ghost"]}
    missing = {k: v for k, v in simple_change.items() if k != "requester"}
    for batch, path in [
        ([simple_change, simple_change, simple_change, bad_start], "changes[3].start"),
        ([simple_change, missing, bad_start], "changes[1].requester"),
        ([simple_change] * 70 + [unknown_service], "changes[70].services[1]"),
        ([shipgate.Change(simple_change), 5], "changes[1]"),
    ]:
        with pytest.raises(shipgate.InputError) as info:
            engine.evaluate_many(batch, simple_catalog, now=NOW)
        assert info.value.path == path, str(info.value)
    with pytest.raises(TypeError):
        engine.evaluate_many(5, simple_catalog, now=NOW)  # type: ignore[arg-type]


def test_next_window_argument_errors() -> None:
    engine = shipgate.Engine.from_source("tiers low, high\n")
    aware = datetime(2026, 12, 1, tzinfo=timezone.utc)
    with pytest.raises(shipgate.InputError) as info:
        engine.next_window("mars", aware, timedelta(hours=1))
    assert_input_error(info, "region", "unknown region")
    with pytest.raises(shipgate.InputError) as info:
        engine.next_window("mars", datetime(2026, 12, 1), timedelta(hours=1))
    assert_input_error(info, "after", "naive datetime")
    with pytest.raises(shipgate.InputError) as info:
        engine.next_window("mars", aware, timedelta(milliseconds=5))
    assert_input_error(info, "duration", "whole seconds")
    with pytest.raises(shipgate.InputError) as info:
        engine.next_window("mars", aware, True)  # type: ignore[arg-type]
    assert_input_error(info, "duration", "bool")


def test_a_panic_is_a_shipgate_error() -> None:
    """A bug in the engine (a Rust panic) is raised as a ShipgateError, which `except
    Exception` catches, not as pyo3's PanicException (a BaseException)."""
    from shipgate import _shipgate

    with pytest.raises(shipgate.ShipgateError, match="internal error in shipgate.*deliberate panic"):
        _shipgate._panic_for_tests()  # type: ignore[attr-defined]
    assert "_panic_for_tests" not in shipgate.__all__
