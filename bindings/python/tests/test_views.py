"""What a portal shows, from the Python binding: the same dicts as the Node binding's
`engine.calendar`, `calendarIcs`, `regionTimezone`, `policyDigest`, `drawGraph` and
`metricsSvg`, each the core's answer; bad input raises with a path."""

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

import shipgate
from conftest import load

ROOT = Path(__file__).resolve().parents[3]
POLICIES = ROOT / "policies"
OCTOBER = {"from_": "2026-10-01T00:00:00+02:00", "to": datetime(2026, 10, 31, 23, tzinfo=timezone.utc)}


def test_a_regions_calendar_marks_its_dst_day(engine: shipgate.Engine) -> None:
    c = engine.calendar(region="eu-west", **OCTOBER)
    assert c["scope"] == {"region": "eu-west"}
    assert c["region"] == "eu-west"
    assert c["timezone"] == "Europe/Berlin"
    assert len(c["days"]) == 31
    assert [d for d in c["days"] if d["dst_change"]] == [
        {"date": "2026-10-25", "utc_offset_start": "+02:00", "utc_offset_end": "+01:00", "dst_change": True}
    ]
    assert any(o["start"] == "2026-10-26T08:00:00Z" for o in c["open"])


def test_a_services_calendar_reads_the_catalog(engine: shipgate.Engine, catalog: shipgate.Catalog) -> None:
    c = engine.calendar(service="ledger-db", catalog=catalog, **OCTOBER)
    assert c["scope"] == {"service": "ledger-db"}
    assert c["regions"] == ["eu-west", "us-east"]
    assert c["timezone"] == "Europe/Berlin"
    assert any(b["name"] == "settlement run" for b in c["blackouts"])
    ics = engine.calendar_ics(service="ledger-db", catalog=catalog, **OCTOBER)
    assert ics.startswith("BEGIN:VCALENDAR\r\n") and "X-WR-CALNAME:shipgate ledger-db" in ics


def test_bad_scopes_and_ranges(engine: shipgate.Engine, catalog: shipgate.Catalog) -> None:
    with pytest.raises(shipgate.InputError) as e:
        engine.calendar(region="eu-wst", **OCTOBER)
    assert e.value.path == "region"
    with pytest.raises(shipgate.InputError) as e:
        engine.calendar(region="eu-west", from_="2026-11-01T00:00:00Z", to="2026-10-01T00:00:00Z")
    assert e.value.path == "to"
    with pytest.raises(shipgate.InputError) as e:
        engine.calendar(region="eu-west", from_="soon", to="2026-10-01T00:00:00Z")
    assert e.value.path == "from_"
    with pytest.raises(ValueError, match="exactly one"):
        engine.calendar(**OCTOBER)
    with pytest.raises(ValueError, match="exactly one"):
        engine.calendar(region="eu-west", service="ledger-db", catalog=catalog, **OCTOBER)
    with pytest.raises(ValueError, match="needs catalog"):
        engine.calendar(service="ledger-db", **OCTOBER)
    with pytest.raises(ValueError, match="only read for a service"):
        engine.calendar_ics(region="eu-west", catalog=catalog, **OCTOBER)


def test_zone_and_digest(engine: shipgate.Engine, catalog: shipgate.Catalog) -> None:
    assert engine.region_timezone("us-east") == "America/New_York"
    assert engine.region_timezone("mars") is None
    change = load(POLICIES / "changes" / "chg-1043-ledger-migration.json")
    decision = engine.evaluate(change, catalog, now="2026-12-18T09:00:00Z")
    assert engine.policy_digest == decision.to_dict()["policy"]
    assert engine.policy_digest.startswith("sha256:")


def test_draw_graph_and_metrics_svg() -> None:
    catalog = load(POLICIES / "catalog.yaml")
    drawing = shipgate.draw_graph(catalog)
    assert "ledger-db" in drawing["waves"][0]
    assert drawing["tiers"]["checkout-web"] == 2
    assert shipgate.draw_graph(catalog, format="dot").startswith("digraph catalog {")
    assert "ledger-db" in shipgate.draw_graph(catalog, format="mermaid")
    with pytest.raises(ValueError, match="format"):
        shipgate.draw_graph(catalog, format="svg")
    with pytest.raises(shipgate.InputError) as e:
        shipgate.draw_graph({"services": [{"id": "a", "tier": 0, "depends_on": ["b"]}]})
    assert e.value.path == "catalog.services[0].depends_on[0]"
    svg = shipgate.metrics_svg(POLICIES / "history" / "deployments.jsonl", by="team")
    assert svg.startswith("<svg ") and "Delivery metrics week by week" in svg
    with pytest.raises(ValueError, match="by must be"):
        shipgate.metrics_svg(POLICIES / "history" / "deployments.jsonl", by="region")


def test_read_document_reads_json_and_yaml_as_the_engine_does(tmp_path: Path) -> None:
    yaml = shipgate.read_document(POLICIES / "changes" / "chg-1044-fraud-rules.yaml")
    assert yaml["id"] == "CHG-1044"
    file = POLICIES / "changes" / "chg-1043-ledger-migration.json"
    assert shipgate.read_document(file) == json.loads(file.read_text())
    assert shipgate.read_document(str(file)) == shipgate.read_document(file)
    twice = tmp_path / "twice.yaml"
    twice.write_text("id: a\nid: b\n")
    with pytest.raises(shipgate.InputError, match="id"):
        shipgate.read_document(twice)
    big = tmp_path / "big.json"
    big.write_text(json.dumps({"title": "x" * 100}))
    with pytest.raises(shipgate.InputError, match="limit"):
        shipgate.read_document(big, max_input_bytes=50)
    assert shipgate.read_document(big)["title"] == "x" * 100
    with pytest.raises(shipgate.InputError) as e:
        shipgate.read_document(tmp_path / "missing.json")
    assert e.value.path == "path"
    assert "missing.json" in str(e.value)
    with pytest.raises(TypeError, match="max_inputs_bytes"):
        shipgate.read_document(big, max_inputs_bytes=50)
