"""Decide one change of the example payments company and print the decision.

Run from anywhere: python bindings/python/examples/check_change.py [change.json] [--now RFC3339]
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime, timezone
from pathlib import Path

import shipgate

REPO = Path(__file__).resolve().parents[3]

# A slice of policies/catalog.yaml, inline so that the example needs nothing but shipgate.
CATALOG = {
    "services": [
        {
            "id": "ledger-db",
            "team": "core-ledger",
            "tier": 0,
            "regions": ["eu-west", "us-east"],
            "stateful": True,
            "monitored": True,
            "error_budget": 0.42,
            "pci": True,
        },
        {
            "id": "payments-api",
            "team": "payments",
            "tier": 1,
            "depends_on": ["ledger-db"],
            "regions": ["eu-west", "us-east"],
            "automated_rollback": True,
            "monitored": True,
            "error_budget": 0.18,
            "pci": True,
        },
    ]
}


def describe(decision: shipgate.Decision) -> str:
    lines = [f"{decision.verdict.upper()}  tier {decision.tier}"]
    for reason in decision.reasons:
        lines.append(f"  x {reason.rule}: {reason.message}")
    for req in decision.requirements:
        if not req.satisfied:
            what = f"approval from {req.group}" if req.kind == "approval" else f"check {req.check}"
            lines.append(f"  ? {what}: {len(req.counted)} of {req.needed} (rule {req.rule})")
    for region in decision.schedule.regions:
        window = region.next_window
        state = "open" if region.open else "closed: " + ", ".join(region.blocked_by)
        nxt = f"; next window {window.start:%Y-%m-%d %H:%M} UTC" if window is not None else ""
        lines.append(f"  {region.region}: {state}{nxt}")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "change",
        nargs="?",
        default=str(REPO / "policies" / "changes" / "chg-1043-ledger-migration.json"),
    )
    parser.add_argument("--now", default="2026-12-18T09:00:00Z")
    args = parser.parse_args(argv)

    engine = shipgate.Engine.from_path(REPO / "policies" / "payments")
    catalog = shipgate.Catalog(CATALOG)
    change = shipgate.Change(json.loads(Path(args.change).read_text()))
    now = datetime.fromisoformat(args.now.replace("Z", "+00:00")).astimezone(timezone.utc)
    try:
        decision = engine.evaluate(change, catalog, now=now)
    except shipgate.InputError as e:
        print(f"cannot decide: {e.path}: {e.message}", file=sys.stderr)
        return 3
    print(describe(decision))
    print(json.dumps(decision.to_dict()["schedule"], indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
