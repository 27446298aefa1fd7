"""The limits of docs/security.md as keyword arguments: each one lowered refuses what the
default accepts, or raised accepts what the default refuses, and the error of an exceeded
limit names the option that raises it. Names and ranges are the library's."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import shipgate
from conftest import CHANGES_DIR, NOW, PAYMENTS, POLICIES

DAILY_TWICE = """\
tiers low
region eu uses cal
calendar cal timezone "UTC" {
  blackout "a" rrule "FREQ=DAILY" at 01:00 for 1m
  blackout "b" rrule "FREQ=DAILY" at 02:00 for 1m
}
"""

# 72 starts a day: 26,352 a year, over the default of 10,000 for one rule.
DENSE = DAILY_TWICE.replace(
    '"FREQ=DAILY" at 01:00',
    '"FREQ=DAILY;BYHOUR=0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23;'
    'BYMINUTE=0,20,40" at 01:00',
)


def test_max_input_bytes_lowered_and_raised(tmp_path: Path) -> None:
    path = CHANGES_DIR / "chg-1042-checkout-copy.json"
    size = path.stat().st_size
    assert shipgate.Change.from_path(path).id == "CHG-1042"
    with pytest.raises(shipgate.InputError) as e:
        shipgate.Change.from_path(path, max_input_bytes=size - 1)
    assert f"larger than the limit of {size - 1} bytes" in str(e.value)
    assert "raise it with the max-input-bytes option" in str(e.value)
    assert shipgate.Change.from_path(path, max_input_bytes=size).id == "CHG-1042"

    # A catalog over the 16 MiB default: refused by default, read with the limit raised.
    big = tmp_path / "catalog.json"
    big.write_text(json.dumps({"services": [{"id": "api", "tier": 1}]}) + " " * (17 << 20))
    with pytest.raises(shipgate.InputError, match="max-input-bytes"):
        shipgate.Catalog.from_path(big)
    assert len(shipgate.Catalog.from_path(big, max_input_bytes=32 << 20)) == 1


def test_max_policy_file_bytes_and_max_policy_bytes() -> None:
    text = "tiers low, high\n"
    shipgate.Engine.from_source(text)
    with pytest.raises(shipgate.PolicyError, match="max-policy-file-bytes"):
        shipgate.Engine.from_source(text, max_policy_file_bytes=len(text) - 1)
    with pytest.raises(shipgate.PolicyError, match="max-policy-bytes"):
        shipgate.Engine.from_source(text, max_policy_bytes=len(text) - 1)
    shipgate.Engine.from_source(text, max_policy_file_bytes=len(text), max_policy_bytes=len(text))
    # Past the default: refused by default, before it is parsed (the raised limit letting a
    # 5 MiB file through is the core's test: parsing it unoptimised takes long).
    big = text + "# " + "x" * (5 << 20) + "\n"
    with pytest.raises(shipgate.PolicyError, match="larger than the limit of 4194304 bytes"):
        shipgate.Engine.from_source(big)
    # From files too.
    largest = max(p.stat().st_size for p in PAYMENTS.glob("*.gate"))
    with pytest.raises(shipgate.PolicyError, match="max-policy-file-bytes"):
        shipgate.Engine.from_path(PAYMENTS, max_policy_file_bytes=largest - 1)


def test_max_rrule_starts_per_rule_and_per_policy() -> None:
    with pytest.raises(shipgate.PolicyError) as e:
        shipgate.Engine.from_source(DENSE)
    assert "more than the limit of 10000 a year for one rule" in str(e.value)
    assert "max-rrule-starts-per-rule" in str(e.value)
    shipgate.Engine.from_source(DENSE, max_rrule_starts_per_rule=30_000)

    shipgate.Engine.from_source(DAILY_TWICE)
    with pytest.raises(shipgate.PolicyError, match="max-rrule-starts-per-policy"):
        shipgate.Engine.from_source(DAILY_TWICE, max_rrule_starts_per_policy=500)
    with pytest.raises(shipgate.PolicyError, match="max-rrule-starts-per-rule"):
        shipgate.Engine.from_source(DAILY_TWICE, max_rrule_starts_per_rule=300)


def test_max_eval_steps_is_the_budget_of_each_decision() -> None:
    catalog = shipgate.Catalog.from_path(POLICIES / "catalog.yaml")
    change = shipgate.Change.from_path(CHANGES_DIR / "chg-1042-checkout-copy.json")
    assert shipgate.Engine.from_path(PAYMENTS).evaluate(change, catalog, now=NOW).verdict == "allow"
    tight = shipgate.Engine.from_path(PAYMENTS, max_eval_steps=1)
    d = tight.evaluate(change, catalog, now=NOW)
    assert d.verdict == "deny"
    assert any(
        "evaluation budget of 1 steps" in r.message
        and "raise it with the max-eval-steps option" in r.message
        for r in d.reasons
    ), d.reasons
    assert [x.verdict for x in tight.evaluate_many([change], catalog, now=NOW)] == ["deny"]
    roomy = shipgate.Engine.from_path(PAYMENTS, max_eval_steps=1000)
    assert roomy.evaluate(change, catalog, now=NOW).verdict == "allow"


@pytest.mark.parametrize("value", [0, -1, 10**12 + 1, 2**80])
def test_values_out_of_range_are_value_errors(value: int) -> None:
    with pytest.raises(ValueError, match="max-eval-steps must be between 1 and 1000000000000"):
        shipgate.Engine.from_source("tiers low\n", max_eval_steps=value)


def test_unknown_or_misplaced_limits_are_refused() -> None:
    with pytest.raises(TypeError, match="unknown limit `max_steps`"):
        shipgate.Engine.from_source("tiers low\n", max_steps=5)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="must be an int"):
        shipgate.Engine.from_source("tiers low\n", max_eval_steps="5")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="not bool"):
        shipgate.Engine.from_source("tiers low\n", max_eval_steps=True)
    # A limit that would do nothing where it is given is an error, not a silent no-op.
    with pytest.raises(ValueError, match="no effect"):
        shipgate.Engine.from_source("tiers low\n", max_input_bytes=5)  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="no effect"):
        shipgate.Change.from_path(  # type: ignore[call-arg]
            CHANGES_DIR / "chg-1042-checkout-copy.json", max_eval_steps=5
        )
