"""The shape shared with the Node binding (docs/python.md, docs/node.md): every error carries
`code`, `message`, `path`, `file`, `line`, `column`, `diagnostics` and `index`; warnings are
dicts with `message`, `severity`, `file`, `line`, `column`; a catalog is a `Catalog` or a
mapping wherever one is taken; `Catalog` and `Change` read files with `from_path`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import shipgate
from conftest import CHANGES_DIR, NOW, POLICIES

FIELDS = ("code", "message", "path", "file", "line", "column", "diagnostics", "index")
WARNING_KEYS = ["message", "severity", "file", "line", "column"]


def fields(e: BaseException) -> dict[str, Any]:
    return {name: getattr(e, name) for name in FIELDS}


def test_an_input_error_has_every_field() -> None:
    engine = shipgate.Engine.from_source("tiers low, high\n")
    catalog = shipgate.Catalog({"services": [{"id": "api", "tier": 1}]})
    change = {"id": "C", "services": ["api"], "requester": "a", "implementer": "b", "start": 3, "duration": "1h"}
    with pytest.raises(shipgate.InputError) as info:
        engine.evaluate(change, catalog, now=NOW)
    got = fields(info.value)
    assert got["code"] == "INPUT_ERROR"
    assert got["path"] == "change.start"
    assert got["message"] == str(info.value)
    assert got["message"].startswith("change.start: ")
    assert {k: got[k] for k in ("file", "line", "column", "diagnostics", "index")} == dict.fromkeys(
        ("file", "line", "column", "diagnostics", "index")
    )


def test_a_policy_error_has_every_field() -> None:
    with pytest.raises(shipgate.PolicyError) as info:
        shipgate.Engine.from_source("tiers low, high\ntier hihg when change.size > 100\n", name="bad.gate")
    got = fields(info.value)
    assert got["code"] == "POLICY_ERROR"
    assert (got["file"], got["path"], got["line"], got["column"]) == ("bad.gate", "bad.gate", 2, 6)
    assert got["message"].startswith("bad.gate:2:6: "), got["message"]
    assert "\n" not in got["message"]
    assert got["diagnostics"] == str(info.value)
    assert got["index"] is None


def test_a_batch_error_says_the_index() -> None:
    engine = shipgate.Engine.from_source("tiers low, high\n")
    catalog = shipgate.Catalog({"services": [{"id": "api", "tier": 1}]})
    good = {
        "id": "C",
        "services": ["api"],
        "requester": "a",
        "implementer": "b",
        "start": "2026-12-01T10:00:00Z",
        "duration": "1h",
    }
    bad = dict(good, start="yesterday")
    with pytest.raises(shipgate.InputError) as info:
        engine.evaluate_many([good, good, bad], catalog, now=NOW)
    assert info.value.index == 2
    assert info.value.path == "changes[2].start"
    assert info.value.code == "INPUT_ERROR"


def test_an_internal_error_has_every_field() -> None:
    from shipgate import _shipgate

    with pytest.raises(shipgate.ShipgateError) as info:
        _shipgate._panic_for_tests()  # type: ignore[attr-defined]
    got = fields(info.value)
    assert got["code"] == "INTERNAL_ERROR"
    assert "deliberate panic" in got["message"]
    assert all(got[k] is None for k in ("path", "file", "line", "column", "diagnostics", "index"))


def test_warnings_are_dicts() -> None:
    source = 'extend change { cost_center: string? }\nrule r { deny when change.cost_center == "x" }\n'
    engine = shipgate.Engine.from_source(source, name="warn.gate")
    warnings = engine.warnings
    assert len(warnings) == 1
    (w,) = warnings
    assert list(w) == WARNING_KEYS
    assert w["severity"] == "warning"
    assert w["message"] and w["message"] in engine.render_warnings()
    assert (w["file"], w["line"]) == ("warn.gate", 2)
    assert isinstance(w["column"], int) and w["column"] > 1
    assert shipgate.Engine.from_source("tiers low, high\n").warnings == []


def test_catalog_and_change_read_files(tmp_path: Path) -> None:
    catalog = shipgate.Catalog.from_path(POLICIES / "catalog.yaml")
    assert "ledger-db" in catalog
    path = CHANGES_DIR / "chg-1043-ledger-migration.json"
    change = shipgate.Change.from_path(str(path))
    assert change.id == json.loads(path.read_text())["id"]
    engine = shipgate.Engine.from_path(POLICIES / "payments")
    from_files = engine.evaluate(change, catalog, now=NOW)
    from_dict = engine.evaluate(json.loads(path.read_text()), catalog, now=NOW)
    assert from_files == from_dict
    for cls, root in ((shipgate.Catalog, "catalog"), (shipgate.Change, "change")):
        with pytest.raises(shipgate.InputError) as info:
            cls.from_path(tmp_path / "missing.json")
        assert info.value.path == root
        assert "missing.json" in info.value.message
