"""shipgate.metrics and Engine.replay: the same figures and lists as the CLI (SPEC 8.6)."""

import json
import os
import subprocess
from datetime import datetime, timezone
from pathlib import Path

import pytest

import shipgate

ROOT = Path(__file__).resolve().parents[3]
HISTORY = ROOT / "policies" / "history" / "deployments.jsonl"
REPLAY = ROOT / "policies" / "replay"


def test_metrics_returns_the_figures_as_plain_dicts():
    m = shipgate.metrics(HISTORY, by="team")
    assert m["deployments"] == 42
    assert m["from"] == "2026-10-05T09:15:00Z"
    assert m["lead_time_median_s"] == 82800
    assert m["change_failure_rate"] == pytest.approx(10 / 42)
    assert [g["key"] for g in m["groups"]][-1] is None
    assert sum(g["deployments"] for g in m["groups"]) == 42
    assert type(m) is dict and type(m["groups"][0]) is dict


def test_metrics_period_with_datetimes_and_csv():
    start = datetime(2026, 10, 12, tzinfo=timezone.utc)
    m = shipgate.metrics(
        ROOT / "policies" / "history" / "deployments.csv",
        from_=start,
        to="2026-11-09T00:00:00Z",
        by="service",
    )
    assert m["from"] == "2026-10-12T00:00:00Z"
    assert m["deployments"] == 27


def test_metrics_none_in_the_period_is_none_not_zero():
    m = shipgate.metrics(HISTORY, from_="2030-01-01T00:00:00Z", to="2030-02-01T00:00:00Z")
    assert m["deployments"] == 0
    assert m["lead_time_median_s"] is None
    assert m["change_failure_rate"] is None


def test_metrics_errors_name_line_and_field(tmp_path):
    bad = tmp_path / "h.jsonl"
    bad.write_text(
        '{"change": "a", "service": "s", "committed_at": "2026-11-02T00:00:00Z",'
        ' "deployed_at": "2026-11-01T00:00:00Z", "failed": false}\n'
    )
    with pytest.raises(shipgate.InputError) as e:
        shipgate.metrics(bad)
    assert e.value.path.endswith("h.jsonl:1: deployed_at")
    with pytest.raises(ValueError):
        shipgate.metrics(HISTORY, by="region")


def test_metrics_match_the_cli():
    binary = os.environ.get("SHIPGATE_BIN")
    if not binary:
        pytest.skip("SHIPGATE_BIN not set")
    out = subprocess.run(
        [binary, "metrics", "--history", str(HISTORY), "--by", "service", "--format", "json"],
        capture_output=True, check=True, text=True,
    ).stdout
    assert shipgate.metrics(HISTORY, by="service") == json.loads(out)


def test_replay_lists_the_changes_a_tightened_rule_flips():
    old = shipgate.Engine.from_path(REPLAY / "old")
    new = shipgate.Engine.from_path(REPLAY / "new")
    catalog = shipgate.Catalog.from_path(REPLAY / "catalog.json")
    r = old.replay(new, catalog, REPLAY / "changes.jsonl")
    assert r["total"] == 12
    assert [c["change"] for c in r["changed"]] == [
        "CHG-2001", "CHG-2004", "CHG-2006", "CHG-2007", "CHG-2009", "CHG-2011",
    ]
    assert r["changed"][0]["old"] == "allow" and r["changed"][0]["new"] == "deny"
    assert r["changed"][0]["reasons_added"] == [
        {"rule": "big_change", "message": "a change of size 450 is too big to ship at once"}
    ]
    assert old.replay(old, catalog, REPLAY / "changes.jsonl")["changed"] == []


def test_replay_a_bad_line_raises_with_its_line(tmp_path):
    old = shipgate.Engine.from_path(REPLAY / "old")
    bad = tmp_path / "c.jsonl"
    bad.write_text('{"change": {}, "now": "2026-10-01T00:00:00Z"}\n')
    with pytest.raises(shipgate.InputError) as e:
        old.replay(old, shipgate.Catalog.from_path(REPLAY / "catalog.json"), bad)
    assert "c.jsonl:1" in e.value.path
