"""The decision archive from Python: ``AuditLog`` and ``Engine.evaluate(audit_log=...)``."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import pytest

import shipgate
from conftest import CHANGES_DIR, NOW, REPO, load


def test_evaluate_appends_each_decision_and_verify_counts_them(
    engine: shipgate.Engine, catalog: shipgate.Catalog, tmp_path: Path
) -> None:
    log = shipgate.AuditLog(str(tmp_path / "audit.jsonl"))
    change = load(CHANGES_DIR / "chg-1042-checkout-copy.json")
    d1 = engine.evaluate(change, catalog, now=NOW, audit_log=log)
    d2 = engine.evaluate(change, catalog, now=NOW, audit_log=log)
    report = log.verify()
    assert report["intact"] is True
    assert report["records"] == 2
    records = log.records()
    assert [r["seq"] for r in records] == [1, 2]
    assert records[0]["prev"] is None
    assert records[1]["prev"] == records[0]["hash"]
    assert records[0]["decision"] == d1.to_dict()
    assert records[1]["decision"] == d2.to_dict()


def test_append_takes_its_instant_and_records_filter_by_it(
    engine: shipgate.Engine, catalog: shipgate.Catalog, tmp_path: Path
) -> None:
    log = shipgate.AuditLog(str(tmp_path / "audit.jsonl"))
    decision = engine.evaluate(load(CHANGES_DIR / "chg-1042-checkout-copy.json"), catalog, now=NOW)
    a = log.append(decision, at="2026-12-01T10:00:00Z")
    assert (a["first_seq"], a["last_seq"], a["warnings"]) == (1, 1, [])
    log.append(decision, at="2026-12-01T11:00:00Z")
    assert [r["seq"] for r in log.records(from_="2026-12-01T10:30:00Z")] == [2]
    assert [r["at"] for r in log.records(to="2026-12-01T10:30:00Z")] == ["2026-12-01T10:00:00Z"]
    assert log.records(change="CHG-0") == []
    with pytest.raises(shipgate.InputError) as e:
        log.append(decision, at="tomorrow")
    assert e.value.path == "at"


def test_an_edited_record_is_named_with_its_seq_and_line(
    engine: shipgate.Engine, catalog: shipgate.Catalog, tmp_path: Path
) -> None:
    path = tmp_path / "audit.jsonl"
    log = shipgate.AuditLog(str(path))
    decision = engine.evaluate(load(CHANGES_DIR / "chg-1042-checkout-copy.json"), catalog, now=NOW)
    for _ in range(3):
        log.append(decision)
    lines = path.read_text().splitlines()
    lines[1] = lines[1].replace('"tier":"low"', '"tier":"high"')
    path.write_text("\n".join(lines) + "\n")
    problem = log.verify()["problem"]
    assert problem is not None
    assert (problem["kind"], problem["seq"], problem["line"]) == ("edited", 2, 2)
    with pytest.raises(shipgate.ShipgateError) as e:
        log.records()
    assert e.value.code == "AUDIT_ERROR"
    assert "record seq 2 (line 2)" in str(e.value)


def test_a_torn_line_is_removed_with_a_warning(
    engine: shipgate.Engine, catalog: shipgate.Catalog, tmp_path: Path
) -> None:
    path = tmp_path / "audit.jsonl"
    log = shipgate.AuditLog(str(path))
    decision = engine.evaluate(load(CHANGES_DIR / "chg-1042-checkout-copy.json"), catalog, now=NOW)
    log.append(decision)
    with path.open("a") as f:
        f.write('{"seq":2,"at":"2026')
    assert log.verify()["problem"]["kind"] == "torn"  # type: ignore[index]
    with pytest.warns(UserWarning, match="removed a torn last line"):
        a = log.append(decision)
    assert a["first_seq"] == 2
    assert log.verify()["intact"] is True


def test_threads_with_their_own_handles_make_one_chain(
    engine: shipgate.Engine, catalog: shipgate.Catalog, tmp_path: Path
) -> None:
    path = str(tmp_path / "audit.jsonl")
    decision = engine.evaluate(load(CHANGES_DIR / "chg-1042-checkout-copy.json"), catalog, now=NOW)

    def write() -> None:
        log = shipgate.AuditLog(path)
        for _ in range(50):
            log.append(decision)

    threads = [threading.Thread(target=write) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    report = shipgate.AuditLog(path).verify()
    assert (report["intact"], report["records"]) == (True, 200)


def test_obligations_of_the_example_archive() -> None:
    log = shipgate.AuditLog(str(REPO / "policies" / "audit" / "decisions.jsonl"))
    report = log.obligations(now="2026-12-01T00:00:00Z")
    assert [(o["change"], o["due"]) for o in report["overdue"]] == [
        ("CHG-1045", "2026-11-30T02:00:00Z")
    ]
    assert [o["change"] for o in report["open"]] == ["CHG-1046"]


def test_an_archive_that_cannot_be_opened_raises_an_audit_error(tmp_path: Path) -> None:
    with pytest.raises(shipgate.ShipgateError) as e:
        shipgate.AuditLog(str(tmp_path / "missing" / "audit.jsonl"))
    assert e.value.code == "AUDIT_ERROR"
    assert not isinstance(e.value, shipgate.PolicyError)


@pytest.mark.skipif(
    not os.environ.get("SHIPGATE_TEST_POSTGRES")
    and os.environ.get("SHIPGATE_REQUIRE_POSTGRES") != "1",
    reason="set SHIPGATE_TEST_POSTGRES",
)
def test_a_postgres_url_opens_the_same_archive_in_a_table(
    engine: shipgate.Engine, catalog: shipgate.Catalog
) -> None:
    url = os.environ["SHIPGATE_TEST_POSTGRES"]
    log = shipgate.AuditLog(url)
    before = log.verify()
    assert before["intact"] is True
    decision = engine.evaluate(load(CHANGES_DIR / "chg-1042-checkout-copy.json"), catalog, now=NOW)
    a = log.append(decision)
    assert a["first_seq"] == before["records"] + 1
    assert log.verify()["records"] == before["records"] + 1
    archived = log.records(change="CHG-1042")[-1]["decision"]
    assert json.dumps(archived, sort_keys=True) == json.dumps(decision.to_dict(), sort_keys=True)
