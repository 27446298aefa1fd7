"""The hostile shapes of issue 12 through the Python API, in this interpreter: each raises a
ShipgateError naming the limit and its place (or, for an input that is merely large, gives the
right decision), and the interpreter goes on to the next test. Before the fixes one of them
(a dense RRULE ``for 3660d``) aborted the host process outright, so the shapes that allocate
the most also run in a child interpreter limited to 512 MiB of address space, which must exit
normally after catching each error.

The inputs are generated into a temporary directory; nothing large is committed. The CLI runs
the same shapes under ``ulimit -v`` (crates/shipgate-cli/tests/hostile_shapes.rs).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

import shipgate
from conftest import NOW

NESTING_LIMIT = "lists and objects may nest at most 128 levels"
SIZE_LIMIT = "the input is larger than the limit of 16777216 bytes"


def change(**extra: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "CHG-1",
        "services": ["service-1"],
        "requester": "ana",
        "implementer": "bob",
        "start": "2026-12-01T10:00:00Z",
        "duration": "1h",
    }
    base.update(extra)
    return base


def catalog(n: int) -> shipgate.Catalog:
    return shipgate.Catalog(
        {"services": [{"id": f"service-{i}", "tier": 1, "regions": ["eu"]} for i in range(n)]}
    )


DENY_NEEDLE = 'rule r {\n  deny when "needle" in change.labels\n}\n'


def dense_rrule_policy() -> str:
    def numbers(n: int) -> str:
        return ",".join(str(i) for i in range(n))

    return (
        'calendar c timezone "UTC" {\n'
        f'  blackout "b" rrule "FREQ=DAILY;BYHOUR={numbers(24)};BYMINUTE={numbers(60)};'
        f'BYSECOND={numbers(60)}" at 00:00 for 3660d\n'
        "}\nregion eu uses c\n"
    )


def nested(depth: int) -> Any:
    """A list nested `depth` levels deep, built without recursion."""
    value: Any = []
    for _ in range(depth):
        value = [value]
    return value


# --- calendars --------------------------------------------------------------------------------


def test_a_dense_rrule_for_3660d_is_a_policy_error() -> None:
    with pytest.raises(shipgate.PolicyError) as info:
        shipgate.Engine.from_source(dense_rrule_policy(), name="p.gate")
    e = info.value
    assert (e.path, e.line, e.column) == ("p.gate", 2, 22)
    assert "the rule can start 31622400 times a year" in str(e)
    assert "more than the limit of 10000 a year for one rule" in str(e)


def test_an_rrule_with_interval_0_is_a_policy_error() -> None:
    policy = (
        'calendar c timezone "UTC" {\n'
        '  blackout "b" rrule "FREQ=DAILY;INTERVAL=0" at 09:00 for 2h\n'
        "}\nregion eu uses c\n"
    )
    with pytest.raises(shipgate.PolicyError) as info:
        shipgate.Engine.from_source(policy, name="p.gate")
    assert (info.value.line, info.value.column) == (2, 22)
    assert "INTERVAL must be a positive number" in str(info.value)


def test_an_ics_import_that_is_a_fifo_is_a_policy_error_not_a_hang(tmp_path: Path) -> None:
    (tmp_path / "p.gate").write_text(
        'calendar c timezone "UTC" {\n  blackout "h" ics "cal.ics"\n}\nregion eu uses c\n'
    )
    os.mkfifo(tmp_path / "cal.ics")
    with pytest.raises(shipgate.PolicyError) as info:
        shipgate.Engine.from_path(tmp_path)
    assert (info.value.line, info.value.column) == (2, 20)
    assert "cannot import `cal.ics`: it is not a regular file" in str(info.value)


# --- policies ---------------------------------------------------------------------------------


def test_five_thousand_misspelt_names_are_each_a_located_error() -> None:
    policy = "".join(
        f"rule rule_number_{i} {{\n  exempt rule rule_nubmer_{i} when change.emergency\n}}\n"
        for i in range(5000)
    )
    with pytest.raises(shipgate.PolicyError) as info:
        shipgate.Engine.from_source(policy, name="p.gate")
    e = info.value
    assert (e.line, e.column) == (2, 15)
    assert "did you mean `rule_number_0`?" in str(e)
    assert "p.gate:14999:15" in str(e)
    assert str(e).count("error: unknown rule `rule_nubmer_") == 5000


def test_an_exemption_cycle_is_a_policy_error() -> None:
    policy = (
        "rule a {\n  deny when change.size > 1\n  exempt rule b\n}\n"
        "rule b {\n  deny when change.size > 2\n  exempt rule a\n}\n"
    )
    with pytest.raises(shipgate.PolicyError) as info:
        shipgate.Engine.from_source(policy, name="p.gate")
    assert (info.value.line, info.value.column) == (7, 15)
    assert "rules `a` and `b` exempt each other" in str(info.value)


def test_long_and_or_chains_decide_and_deep_nesting_is_located() -> None:
    n = 5000
    every = " and ".join(f"change.size != {i}" for i in range(n))
    some = " or ".join(f"change.size == {i}" for i in range(n, 2 * n))
    engine = shipgate.Engine.from_source(
        f"rule all {{\n  deny when {every}\n}}\nrule any {{\n  deny when {some}\n}}\n",
        name="p.gate",
    )
    d = engine.evaluate(change(size=2 * n - 1), catalog(10), now=NOW)
    assert d.verdict == "deny"
    assert [(r.rule, r.at) for r in d.reasons] == [("all", "p.gate:2:3"), ("any", "p.gate:5:3")]
    deep = "rule r {\n  deny when " + "not (" * 300 + "change.size > 1" + ")" * 300 + "\n}\n"
    with pytest.raises(shipgate.PolicyError) as info:
        shipgate.Engine.from_source(deep, name="deep.gate")
    assert info.value.line == 2
    assert "nests too deeply" in str(info.value)


def test_symlink_loops_in_a_policy_folder_are_walked_once(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "p.gate").write_text(DENY_NEEDLE)
    (tmp_path / "self").symlink_to(".")
    (tmp_path / "again").symlink_to(".")
    (tmp_path / "sub" / "up").symlink_to("..")
    (tmp_path / "sub" / "down").symlink_to("../sub")
    engine = shipgate.Engine.from_path(tmp_path)
    d = engine.evaluate(change(labels=["needle"]), catalog(10), now=NOW)
    assert d.verdict == "deny"
    assert [r.rule for r in d.reasons] == ["r"]


def test_a_hundred_thousand_approvals_are_counted() -> None:
    engine = shipgate.Engine.from_source(
        'rule cab {\n  require approval "cab" count 1000\n'
        '  deny when approvals("cab") == 100000\n}\n',
        name="p.gate",
    )
    approvals = [
        {"by": f"person-{i}", "group": "cab", "at": "2026-12-01T08:00:00Z"} for i in range(100_000)
    ]
    d = engine.evaluate(change(approvals=approvals), catalog(10), now=NOW)
    assert d.verdict == "deny"
    assert [r.at for r in d.reasons] == ["p.gate:3:3"]
    assert d.requirements[0].satisfied


def test_nested_quantifiers_over_a_20000_service_chain_never_allow() -> None:
    n = 20_000
    chain = shipgate.Catalog(
        {
            "services": [
                {
                    "id": f"service-{i}",
                    "tier": 1,
                    "regions": ["eu"],
                    "depends_on": [f"service-{i - 1}"] if i else [],
                }
                for i in range(n)
            ]
        }
    )
    engine = shipgate.Engine.from_source(
        "rule deep {\n  deny when any s in change.services: all d in s.dependents: "
        "all e in d.dependents: e.tier >= 1\n}\n",
        name="p.gate",
    )
    try:
        d = engine.evaluate(change(services=["service-0"]), chain, now=NOW)
    except shipgate.ShipgateError as e:
        assert "budget" in str(e) or "limit" in str(e)
    else:
        assert d.verdict == "deny"
        assert [r.at for r in d.reasons] == ["p.gate:2:3"]


# --- inputs -----------------------------------------------------------------------------------


def test_a_100kb_unknown_service_id_is_a_short_error() -> None:
    engine = shipgate.Engine.from_source(DENY_NEEDLE)
    long_id = "service-" + "9" * 100_000
    with pytest.raises(shipgate.InputError) as info:
        engine.evaluate(change(services=[long_id]), catalog(1000), now=NOW)
    assert info.value.path == "change.services[0]"
    assert str(info.value).startswith('change.services[0]: unknown service "service-9999')
    assert len(str(info.value)) < 400


def test_ten_megabytes_of_nesting_in_files_are_an_input_error(tmp_path: Path) -> None:
    flow = "[" * 5_000_000 + "]" * 5_000_000
    block = "".join("  " * i + "k:\n" for i in range(3000))
    for name, text in [("deep.json", flow), ("deep.yaml", flow), ("block.yaml", block)]:
        (tmp_path / name).write_text(text)
    for name, line in [("deep.json", 1), ("deep.yaml", 1), ("block.yaml", 129)]:
        with pytest.raises(shipgate.InputError) as info:
            shipgate.Change.from_path(tmp_path / name)
        assert str(info.value) == f"change: nested too deeply at line {line}: {NESTING_LIMIT}"
        with pytest.raises(shipgate.InputError) as info:
            shipgate.Catalog.from_path(tmp_path / name)
        assert str(info.value) == f"catalog: nested too deeply at line {line}: {NESTING_LIMIT}"


def test_deeply_nested_python_values_are_an_input_error() -> None:
    deep_dict: dict[str, Any] = {}
    cursor = deep_dict
    for _ in range(200_000):
        cursor["k"] = {}
        cursor = cursor["k"]
    for value in (nested(200_000), deep_dict):
        with pytest.raises(shipgate.InputError) as info:
            shipgate.Change(change(labels=value))
        assert info.value.path.startswith("change.labels")
        assert "nested more than" in str(info.value)
        with pytest.raises(shipgate.InputError):
            shipgate.Catalog({"services": [{"id": "a", "tier": 1, "regions": value}]})


def test_dev_zero_stops_at_the_size_limit() -> None:
    with pytest.raises(shipgate.InputError) as info:
        shipgate.Change.from_path("/dev/zero")
    assert info.value.path == "change"
    assert SIZE_LIMIT in str(info.value)
    with pytest.raises(shipgate.InputError) as info:
        shipgate.Catalog.from_path("/dev/zero")
    assert SIZE_LIMIT in str(info.value)


def test_a_change_of_ten_megabytes_of_flat_data_is_decided(tmp_path: Path) -> None:
    engine = shipgate.Engine.from_source(DENY_NEEDLE, name="p.gate")
    data = change(title="t" * 4_000_000, labels=[f"label-{i}" for i in range(600_000)] + ["needle"])
    d = engine.evaluate(data, catalog(10), now=NOW)
    assert d.verdict == "deny"
    assert [r.at for r in d.reasons] == ["p.gate:2:3"]
    path = tmp_path / "flat.json"
    path.write_text(json.dumps(data))
    assert path.stat().st_size > 10_000_000
    d = engine.evaluate(shipgate.Change.from_path(path), catalog(10), now=NOW)
    assert d.verdict == "deny"


# --- a child interpreter under a memory limit -------------------------------------------------

CHILD = textwrap.dedent(
    """
    import resource, sys
    limit = 512 * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    import shipgate

    folder = sys.argv[1]
    shapes = {
        "dense rrule for 3660d": lambda: shipgate.Engine.from_source(sys.argv[2]),
        "/dev/zero": lambda: shipgate.Change.from_path("/dev/zero"),
        "nested json": lambda: shipgate.Change.from_path(folder + "/deep.json"),
        "nested yaml": lambda: shipgate.Catalog.from_path(folder + "/deep.yaml"),
    }
    for name, shape in shapes.items():
        try:
            shape()
        except shipgate.ShipgateError as e:
            print(name, "->", type(e).__name__)
        else:
            sys.exit(name + ": no error")
    print("survived")
    """
)


def test_a_host_limited_to_512_mib_survives_the_shapes_that_allocate_most(tmp_path: Path) -> None:
    flow = "[" * 5_000_000 + "]" * 5_000_000
    (tmp_path / "deep.json").write_text(flow)
    (tmp_path / "deep.yaml").write_text(flow)
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(tmp_path), dense_rrule_policy()],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parent)},
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "dense rrule for 3660d -> PolicyError",
        "/dev/zero -> InputError",
        "nested json -> InputError",
        "nested yaml -> InputError",
        "survived",
    ]
