"""Shared fixtures: the example policy set of the repository, its catalog and changes."""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import settings


import shipgate

REPO = Path(__file__).resolve().parents[3]
POLICIES = REPO / "policies"
PAYMENTS = POLICIES / "payments"
CHANGES_DIR = POLICIES / "changes"
CASES_DIR = REPO / "tests" / "cases"

# No example database: runs are independent and nothing is written into the source tree.
settings.register_profile("shipgate", database=None)
settings.load_profile("shipgate")

# The instant the parity test and most examples decide at (a Tuesday, inside the emea window).
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)


def load(path: Path) -> Any:
    """A JSON or YAML input file (by extension), as plain Python objects."""
    text = path.read_text(encoding="utf-8")
    if path.suffix in (".yaml", ".yml"):
        return yaml.safe_load(text)
    return json.loads(text)


def change_files() -> list[Path]:
    return sorted(p for p in CHANGES_DIR.iterdir() if p.suffix in (".json", ".yaml", ".yml"))


def shipgate_bin() -> Path:
    """The CLI built by `cargo build` (or the path in SHIPGATE_BIN)."""
    return Path(os.environ.get("SHIPGATE_BIN", REPO / "target" / "debug" / "shipgate"))


@pytest.fixture(scope="session")
def engine() -> shipgate.Engine:
    return shipgate.Engine.from_path(PAYMENTS)


@pytest.fixture(scope="session")
def catalog_data() -> dict[str, Any]:
    data = load(POLICIES / "catalog.yaml")
    assert isinstance(data, dict)
    return data


@pytest.fixture(scope="session")
def catalog(catalog_data: dict[str, Any]) -> shipgate.Catalog:
    return shipgate.Catalog(catalog_data)


@pytest.fixture()
def ledger_change() -> dict[str, Any]:
    """CHG-1043, the ledger migration: the example change of the README (a fresh copy)."""
    data = load(CHANGES_DIR / "chg-1043-ledger-migration.json")
    assert isinstance(data, dict)
    return data


@pytest.fixture()
def simple_change() -> dict[str, Any]:
    """A small valid change for the inline policies of the tests."""
    return {
        "id": "CHG-1",
        "services": ["api"],
        "requester": "ana",
        "implementer": "bob",
        "start": "2026-12-01T10:00:00Z",
        "duration": "1h",
    }


@pytest.fixture(scope="session")
def simple_catalog() -> shipgate.Catalog:
    return shipgate.Catalog(
        {
            "services": [
                {"id": "db", "tier": 0, "regions": ["eu-west"], "stateful": True},
                {"id": "api", "tier": 1, "depends_on": ["db"], "regions": ["eu-west"]},
                {"id": "web", "tier": 2, "depends_on": ["api"], "regions": ["eu-west"]},
            ]
        }
    )
