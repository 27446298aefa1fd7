"""The iCalendar export is read by a real iCalendar library with the same events as the JSON.

Run by scripts/test with the CLI built: `SHIPGATE_BIN` names the binary.
"""

import json
import os
import subprocess
from datetime import datetime, timezone
from pathlib import Path

import icalendar
import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = os.environ.get("SHIPGATE_BIN", str(ROOT / "target" / "debug" / "shipgate"))
POLICY = ROOT / "policies" / "payments"


def run(*args: str) -> str:
    # Bytes, decoded by hand: text mode would turn the CRLF line ends into LF.
    out = subprocess.run([BIN, *args], check=True, capture_output=True)
    return out.stdout.decode("utf-8")


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(timezone.utc)


@pytest.mark.parametrize(
    "region,start,end",
    [
        ("eu-west", "2026-12-01T00:00:00Z", "2027-01-15T00:00:00Z"),
        ("us-east", "2026-11-20T00:00:00Z", "2026-12-10T00:00:00Z"),
        ("eu-west", "2026-03-20T00:00:00Z", "2026-04-10T00:00:00Z"),  # spring-forward week
    ],
)
def test_ics_events_match_json(region: str, start: str, end: str) -> None:
    common = ["calendar", "--policy", str(POLICY), "--region", region, "--from", start, "--to", end]
    report = json.loads(run(*common, "--format", "json"))
    ics_text = run(*common, "--format", "ics")
    assert "\r\n" in ics_text, "RFC 5545 lines end in CRLF"

    cal = icalendar.Calendar.from_ical(ics_text)
    events = [c for c in cal.walk() if c.name == "VEVENT"]
    for ev in events:
        for prop in ("UID", "DTSTAMP", "DTSTART", "DTEND", "SUMMARY"):
            assert prop in ev, f"VEVENT lacks {prop}"
    uids = [str(ev["UID"]) for ev in events]
    assert len(uids) == len(set(uids)), "UIDs are unique"

    def key(ev):
        return (str(ev["SUMMARY"]), ev["DTSTART"].dt.astimezone(timezone.utc), ev["DTEND"].dt.astimezone(timezone.utc))

    got_blackouts = sorted(key(ev) for ev in events if str(ev["SUMMARY"]) != "open window")
    want_blackouts = sorted((b["name"], utc(b["start"]), utc(b["end"])) for b in report["blackouts"])
    assert got_blackouts == want_blackouts
    assert want_blackouts, "the range holds blackouts"

    got_open = sorted(key(ev)[1:] for ev in events if str(ev["SUMMARY"]) == "open window")
    want_open = sorted((utc(o["start"]), utc(o["end"])) for o in report["open"])
    assert got_open == want_open


def test_year_end_freeze_is_one_event_covering_the_dates() -> None:
    ics_text = run("calendar", "--policy", str(POLICY), "--region", "eu-west",
                   "--from", "2026-12-01T00:00:00Z", "--to", "2027-01-31T00:00:00Z", "--format", "ics")
    cal = icalendar.Calendar.from_ical(ics_text)
    freeze = [ev for ev in cal.walk("VEVENT") if str(ev["SUMMARY"]) == "year-end freeze"]
    assert len(freeze) == 1
    # 2026-12-19 00:00 to 2027-01-05 00:00 in Europe/Berlin (UTC+1 in winter), dates inclusive.
    assert freeze[0]["DTSTART"].dt.astimezone(timezone.utc) == datetime(2026, 12, 18, 23, 0, tzinfo=timezone.utc)
    assert freeze[0]["DTEND"].dt.astimezone(timezone.utc) == datetime(2027, 1, 4, 23, 0, tzinfo=timezone.utc)
