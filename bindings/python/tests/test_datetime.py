"""Datetimes and durations: aware datetimes in any zone are the instants they stand for, naive
ones are refused, and times come back as aware UTC datetimes."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import shipgate
from conftest import NOW

UTC = timezone.utc
BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
KOLKATA = ZoneInfo("Asia/Kolkata")

EMPTY = shipgate.Engine.from_source("tiers low, high\n")


def start_of(change: dict[str, Any], catalog: shipgate.Catalog, **kw: Any) -> datetime:
    return EMPTY.evaluate(change, catalog, **{"now": NOW, **kw}).schedule.start


def test_one_instant_in_every_zone_is_the_same_decision(
    simple_change: dict[str, Any], simple_catalog: shipgate.Catalog
) -> None:
    instant = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
    spellings: list[Any] = [
        instant,
        instant.astimezone(BERLIN),
        instant.astimezone(NEW_YORK),
        instant.astimezone(KOLKATA),
        instant.astimezone(timezone(timedelta(hours=-3, minutes=-30))),
        "2026-12-01T10:00:00Z",
        "2026-12-01T11:00:00+01:00",
    ]
    decisions = []
    for s in spellings:
        simple_change["start"] = s
        decisions.append(EMPTY.evaluate(simple_change, simple_catalog, now=NOW))
    def without_inputs(d: shipgate.Decision) -> dict[str, Any]:
        out = d.to_dict()
        del out["inputs"]
        return out

    assert all(without_inputs(d) == without_inputs(decisions[0]) for d in decisions)
    # `inputs` is the digest of the change as given: a datetime is given as its RFC 3339 text
    # in UTC (docs/semantics.md), so every datetime spells the change as the "Z" text does;
    # the "+01:00" text is another document.
    assert len({d.inputs for d in decisions[:6]}) == 1
    assert decisions[6].inputs != decisions[0].inputs
    assert decisions[0].schedule.start == instant
    assert decisions[0].schedule.end == instant + timedelta(hours=1)


def test_returned_datetimes_are_aware_utc(
    simple_change: dict[str, Any], simple_catalog: shipgate.Catalog
) -> None:
    simple_change["start"] = datetime(2026, 12, 1, 11, tzinfo=BERLIN)
    s = EMPTY.evaluate(simple_change, simple_catalog, now=NOW).schedule
    for t in (s.start, s.end):
        assert t.tzinfo is not None
        assert t.utcoffset() == timedelta(0)
    assert s.start == datetime(2026, 12, 1, 10, tzinfo=UTC)


@pytest.mark.parametrize(
    ("local", "utc"),
    [
        # Autumn: 02:30 happens twice in Berlin; fold picks the first (CEST) or second (CET).
        (datetime(2026, 10, 25, 2, 30, tzinfo=BERLIN, fold=0), datetime(2026, 10, 25, 0, 30, tzinfo=UTC)),
        (datetime(2026, 10, 25, 2, 30, tzinfo=BERLIN, fold=1), datetime(2026, 10, 25, 1, 30, tzinfo=UTC)),
        # New York's fall back: 01:30 twice.
        (datetime(2026, 11, 1, 1, 30, tzinfo=NEW_YORK, fold=0), datetime(2026, 11, 1, 5, 30, tzinfo=UTC)),
        (datetime(2026, 11, 1, 1, 30, tzinfo=NEW_YORK, fold=1), datetime(2026, 11, 1, 6, 30, tzinfo=UTC)),
        # Spring forward: 02:30 does not exist in Berlin; Python reads it with the offset
        # before the gap, and so does shipgate (the same instant Python itself computes).
        (datetime(2026, 3, 29, 2, 30, tzinfo=BERLIN), datetime(2026, 3, 29, 1, 30, tzinfo=UTC)),
        # Summer and winter offsets.
        (datetime(2026, 7, 1, 12, 0, tzinfo=BERLIN), datetime(2026, 7, 1, 10, 0, tzinfo=UTC)),
        (datetime(2026, 1, 1, 12, 0, tzinfo=BERLIN), datetime(2026, 1, 1, 11, 0, tzinfo=UTC)),
    ],
)
def test_dst_edges_follow_fold(
    simple_change: dict[str, Any], simple_catalog: shipgate.Catalog, local: datetime, utc: datetime
) -> None:
    assert local.astimezone(UTC) == utc  # the fixture itself is right
    simple_change["start"] = local
    assert start_of(simple_change, simple_catalog) == utc


ZONES = [UTC, BERLIN, NEW_YORK, KOLKATA, ZoneInfo("Australia/Lord_Howe"), ZoneInfo("Pacific/Chatham")]


@settings(max_examples=300, deadline=None)
@given(
    moment=st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2090, 1, 1)),
    zone=st.sampled_from(ZONES),
    fold=st.sampled_from([0, 1]),
)
def test_any_aware_datetime_is_its_utc_instant(moment: datetime, zone: Any, fold: int) -> None:
    catalog = shipgate.Catalog({"services": [{"id": "api", "tier": 1}]})
    local = moment.replace(tzinfo=zone, fold=fold, microsecond=0)
    change = {
        "id": "CHG-1",
        "services": ["api"],
        "requester": "a",
        "implementer": "b",
        "start": local,
        "duration": timedelta(minutes=90),
    }
    s = EMPTY.evaluate(change, catalog, now=NOW).schedule
    assert s.start == local.astimezone(UTC)
    assert s.end - s.start == timedelta(minutes=90)


def test_sub_second_precision_is_accepted(
    simple_change: dict[str, Any], simple_catalog: shipgate.Catalog
) -> None:
    simple_change["start"] = datetime(2026, 12, 1, 10, 0, 0, 999_999, tzinfo=UTC)
    # Decisions speak in whole seconds.
    assert start_of(simple_change, simple_catalog) == datetime(2026, 12, 1, 10, tzinfo=UTC)


@pytest.mark.parametrize(
    ("duration", "seconds"),
    [(timedelta(hours=3), 3 * 3600), ("3h", 3 * 3600), (10_800, 3 * 3600), (timedelta(days=2, minutes=1), 2 * 86400 + 60)],
)
def test_durations(
    simple_change: dict[str, Any], simple_catalog: shipgate.Catalog, duration: Any, seconds: int
) -> None:
    simple_change["duration"] = duration
    s = EMPTY.evaluate(simple_change, simple_catalog, now=NOW).schedule
    assert s.end - s.start == timedelta(seconds=seconds)


def test_now_default_is_the_current_time(
    simple_change: dict[str, Any], simple_catalog: shipgate.Catalog
) -> None:
    # A change without `start` asks to start now.
    del simple_change["start"]
    before = datetime.now(UTC).replace(microsecond=0)
    s = EMPTY.evaluate(simple_change, simple_catalog).schedule
    after = datetime.now(UTC)
    assert before <= s.start <= after
    [batch] = EMPTY.evaluate_many([simple_change], simple_catalog)
    assert before <= batch.schedule.start <= datetime.now(UTC)


def test_now_in_any_zone_is_the_same(
    simple_change: dict[str, Any], simple_catalog: shipgate.Catalog
) -> None:
    del simple_change["start"]
    for now in (NOW, NOW.astimezone(BERLIN), NOW.astimezone(NEW_YORK), "2026-12-01T04:00:00-05:00"):
        assert EMPTY.evaluate(simple_change, simple_catalog, now=now).schedule.start == NOW


def test_waiver_times_across_zones(engine: shipgate.Engine, catalog: shipgate.Catalog) -> None:
    """A waiver granted and expiring in local zones is judged on the instants."""
    from conftest import CHANGES_DIR, load

    change = load(CHANGES_DIR / "chg-1046-partner-api.json")
    utc_decision = engine.evaluate(change, catalog, now=NOW)
    for w in change["waivers"]:
        for key in ("granted_at", "expires_at"):
            w[key] = datetime.fromisoformat(w[key].replace("Z", "+00:00")).astimezone(KOLKATA)
    assert engine.evaluate(change, catalog, now=NOW.astimezone(NEW_YORK)) == utc_decision


def test_next_window_across_zones(engine: shipgate.Engine) -> None:
    after = datetime(2026, 12, 5, 12, tzinfo=UTC)
    want = engine.next_window("us-east", after, timedelta(hours=1))
    assert want is not None
    assert want.start.utcoffset() == timedelta(0)
    # 10:00 New York on Monday 2026-12-07 (EST, UTC-5).
    assert want.start == datetime(2026, 12, 7, 10, tzinfo=NEW_YORK)
    for spelled in (after.astimezone(BERLIN), after.astimezone(KOLKATA), "2026-12-05T07:00:00-05:00"):
        assert engine.next_window("us-east", spelled, timedelta(hours=1)) == want


BACKUPS = shipgate.Engine.from_source(
    """extend change { backups: list<{service: string, taken_at: datetime}> }
rule fresh_backups {
  deny when any s in change.services: s.stateful and not (any b in change.backups:
    b.service == s.id and b.taken_at >= change.start - 24h and b.taken_at <= change.start)
}
"""
)


def test_a_list_of_records_is_read_with_datetimes_or_text_inside(
    simple_change: dict[str, Any], simple_catalog: shipgate.Catalog
) -> None:
    simple_change["services"] = ["db", "api"]

    def decide(taken_at: Any) -> shipgate.Decision:
        simple_change["backups"] = [
            {"service": "db", "taken_at": taken_at},
            {"service": "api", "taken_at": "2026-12-01T09:00:00Z"},
        ]
        return BACKUPS.evaluate(simple_change, simple_catalog, now=NOW)

    fresh = decide(datetime(2026, 11, 30, 11, 0, tzinfo=BERLIN))
    assert fresh.verdict == "allow"
    assert fresh == decide("2026-11-30T10:00:00Z")
    stale = decide(datetime(2026, 11, 30, 9, 59, 59, tzinfo=UTC))
    assert stale.verdict == "deny"
    assert stale.reasons[0].rule == "fresh_backups"

    simple_change["backups"] = [{"service": "db", "taken": "2026-12-01T09:00:00Z"}]
    with pytest.raises(shipgate.InputError) as info:
        BACKUPS.evaluate(simple_change, simple_catalog, now=NOW)
    assert info.value.path == "change.backups[0].taken"
    assert "did you mean `taken_at`?" in info.value.message
