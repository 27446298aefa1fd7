"""10,000 random malformed inputs (hypothesis): every one raises a ShipgateError (never another
exception, never a crash of the interpreter), and errors name the JSON path.

Budget: 6,000 changes + 2,000 catalogs + 1,000 batches + 1,000 argument sets = 10,000. One more
test feeds arbitrary values where either a decision or a ShipgateError is acceptable.
"""

from __future__ import annotations

import math
import string
from datetime import datetime, timedelta, timezone
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import shipgate
from conftest import CHANGES_DIR, NOW, load

FUZZ = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

BASE_CHANGE: dict[str, Any] = load(CHANGES_DIR / "chg-1042-checkout-copy.json")
BASE_CATALOG: dict[str, Any] = {
    "services": [
        {"id": "db", "tier": 0, "regions": ["eu-west"], "stateful": True, "pci": True},
        {"id": "api", "tier": 1, "depends_on": ["db"], "regions": ["eu-west"], "pci": True},
        {"id": "checkout-web", "tier": 2, "depends_on": ["api"], "regions": ["eu-west", "us-east"], "pci": False},
    ]
}

# --- values -----------------------------------------------------------------------------------

naive_datetimes = st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2200, 1, 1))
aware_datetimes = st.datetimes(
    min_value=datetime(1900, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.timezones()
)
# Values the binding cannot turn into JSON at all.
poison = st.one_of(
    st.binary(max_size=4),
    st.frozensets(st.integers(), max_size=3),
    st.builds(object),
    st.just(math.nan),
    st.just(math.inf),
    st.integers(min_value=2**63),
    st.integers(max_value=-(2**63) - 1),
    naive_datetimes,
    st.dates(),
    st.timedeltas().filter(lambda d: d.microseconds != 0),
    st.dictionaries(st.integers(), st.integers(), min_size=1, max_size=2),
    st.sampled_from(["\udc00", "a\ud800b"]),  # lone surrogates
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    aware_datetimes,
    st.timedeltas(),
    poison,
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.tuples(inner, inner),
        st.dictionaries(st.text(max_size=8), inner, max_size=4),
    ),
    max_leaves=8,
)


def buried(bad: Any, draw: Any) -> Any:
    """`bad` at a random depth inside lists and dicts."""
    for _ in range(draw(st.integers(min_value=0, max_value=4))):
        if draw(st.booleans()):
            bad = [*draw(st.lists(st.text(max_size=3), max_size=2)), bad]
        else:
            bad = {draw(st.text(max_size=5)): bad}
    return bad


def is_str(v: Any) -> bool:
    """Text, or an aware datetime (which the binding passes on as RFC 3339 text)."""
    if isinstance(v, datetime):
        return v.utcoffset() is not None
    return isinstance(v, str)


def is_valid_tier(v: Any) -> bool:
    """0 to 3; a whole float counts (JavaScript hosts send numbers), and so does a timedelta
    (passed on as whole seconds)."""
    if isinstance(v, timedelta):
        v = v.total_seconds()
    return isinstance(v, (int, float)) and not isinstance(v, bool) and v in (0, 1, 2, 3)


def is_str_list(v: Any) -> bool:
    return isinstance(v, (list, tuple)) and all(is_str(x) for x in v)


words = st.text(alphabet=string.ascii_letters + " ", max_size=10)
not_a_string = values.filter(lambda v: not is_str(v))
not_a_bool = values.filter(lambda v: not isinstance(v, bool))
not_a_string_list = values.filter(lambda v: not is_str_list(v))
bad_instant = st.one_of(naive_datetimes, st.dates(), st.integers(), st.booleans(), words, st.lists(st.integers(), max_size=2))
bad_duration = st.one_of(
    st.timedeltas(max_value=timedelta(seconds=-1)),
    st.timedeltas().filter(lambda d: d.microseconds != 0),
    st.floats().filter(lambda f: not f.is_integer()),
    st.integers(max_value=-1),
    words,
    st.booleans(),
    st.none(),
    st.lists(st.integers(), max_size=2),
    st.just(timedelta(days=36_501)),
)

REQUIRED = ["id", "services", "requester", "implementer", "duration"]
STRING_FIELDS = ["id", "requester", "implementer", "title"]
BOOL_FIELDS = ["emergency", "backward_compatible", "contract_verified"]
LIST_FIELDS = ["services", "kind", "checks", "labels", "after"]


@st.composite
def malformed_changes(draw: Any) -> Any:
    change = dict(BASE_CHANGE)
    how = draw(st.integers(min_value=0, max_value=7))
    if how == 0:
        del change[draw(st.sampled_from(REQUIRED))]
    elif how == 1:
        change[draw(st.sampled_from(STRING_FIELDS))] = draw(not_a_string)
    elif how == 2:
        change[draw(st.sampled_from(BOOL_FIELDS))] = draw(not_a_bool)
    elif how == 3:
        change[draw(st.sampled_from(LIST_FIELDS))] = draw(not_a_string_list)
    elif how == 4:
        if draw(st.booleans()):
            change["start"] = draw(bad_instant)
        else:
            change["duration"] = draw(bad_duration)
    elif how == 5:
        approval = {"by": "omar", "group": "team-lead", "at": "2026-11-30T15:12:00Z"}
        key = draw(st.sampled_from(["by", "group", "at", "drop", "extra", "whole"]))
        if key == "drop":
            del approval[draw(st.sampled_from(["by", "group", "at"]))]
        elif key == "extra":
            approval[draw(st.sampled_from(["note", "when", "user"]))] = draw(values)
        elif key == "whole":
            approval = draw(values.filter(lambda v: not isinstance(v, dict)))
        elif key == "at":
            approval["at"] = draw(bad_instant)
        else:
            approval[key] = draw(not_a_string)
        change["approvals"] = [*change["approvals"], approval]
    elif how == 6:
        change[draw(st.sampled_from(["ticket", "x-notes", "meta", "odd key"]))] = buried(draw(poison), draw)
    else:
        return draw(values.filter(lambda v: not isinstance(v, dict)))
    return change


@settings(FUZZ, max_examples=6_000)
@given(change=malformed_changes())
def test_malformed_changes_raise_shipgate_error(change: Any) -> None:
    engine, catalog = _engine_and_catalog()
    try:
        engine.evaluate(change, catalog, now=NOW)
    except shipgate.ShipgateError as e:
        assert isinstance(e, shipgate.InputError), repr(e)
        assert e.path.startswith("change"), e.path
    else:
        raise AssertionError(f"accepted a malformed change: {change!r}")


@st.composite
def malformed_catalogs(draw: Any) -> Any:
    services = [dict(s) for s in BASE_CATALOG["services"]]
    i = draw(st.integers(min_value=0, max_value=len(services) - 1))
    how = draw(st.integers(min_value=0, max_value=8))
    if how == 0:
        del services[i][draw(st.sampled_from(["id", "tier"]))]
    elif how == 1:
        services[i]["tier"] = draw(values.filter(lambda v: not is_valid_tier(v)))
    elif how == 2:
        services[i]["id"] = draw(not_a_string | st.just(""))
    elif how == 3:
        services[i]["depends_on"] = [*services[i].get("depends_on", []), draw(st.text(alphabet="xyz", min_size=1, max_size=3))]
    elif how == 4:
        services[0]["depends_on"] = ["checkout-web"]  # db -> checkout-web -> api -> db
    elif how == 5:
        services.append(dict(services[i]))  # duplicate id
    elif how == 6:
        services[i][draw(st.sampled_from(["stateful", "legacy", "monitored"]))] = draw(not_a_bool)
    elif how == 7:
        services[i]["extra"] = buried(draw(poison), draw)
    else:
        services[i] = draw(values.filter(lambda v: not isinstance(v, dict)))
    if draw(st.integers(min_value=0, max_value=20)) == 0:
        return draw(values.filter(lambda v: not isinstance(v, dict)))
    return {"services": services}


@settings(FUZZ, max_examples=2_000)
@given(data=malformed_catalogs())
def test_malformed_catalogs_raise_shipgate_error(data: Any) -> None:
    try:
        shipgate.Catalog(data)
    except shipgate.ShipgateError as e:
        assert isinstance(e, shipgate.InputError), repr(e)
        assert e.path.startswith("catalog"), e.path
    else:
        raise AssertionError(f"accepted a malformed catalog: {data!r}")


@settings(FUZZ, max_examples=1_000)
@given(bad=malformed_changes(), size=st.integers(min_value=1, max_value=100), data=st.data())
def test_a_malformed_change_in_a_batch_is_named_by_index(bad: Any, size: int, data: Any) -> None:
    engine, catalog = _engine_and_catalog()
    index = data.draw(st.integers(min_value=0, max_value=size - 1))
    batch: list[Any] = [shipgate.Change(BASE_CHANGE) if i % 2 else BASE_CHANGE for i in range(size)]
    batch[index] = bad
    try:
        engine.evaluate_many(batch, catalog, now=NOW)
    except shipgate.InputError as e:
        assert e.path.startswith(f"changes[{index}]"), e.path
    else:
        raise AssertionError(f"accepted a malformed change at {index}: {bad!r}")


@settings(FUZZ, max_examples=1_000)
@given(
    which=st.sampled_from(["now", "after", "duration"]),
    bad_time=st.one_of(bad_instant, st.floats(), st.none().map(lambda _: object())),
    bad_len=bad_duration.filter(lambda v: v is not None),
)
def test_malformed_arguments_raise_input_error(which: str, bad_time: Any, bad_len: Any) -> None:
    engine, catalog = _engine_and_catalog()
    good_after = datetime(2026, 12, 1, tzinfo=timezone.utc)
    try:
        if which == "now":
            engine.evaluate(BASE_CHANGE, catalog, now=bad_time)
        elif which == "after":
            engine.next_window("eu-west", bad_time, 3600)
        else:
            engine.next_window("eu-west", good_after, bad_len)
    except shipgate.InputError as e:
        assert e.path == which, (e.path, which)
    else:
        raise AssertionError(f"accepted {which}={bad_time if which != 'duration' else bad_len!r}")


@settings(FUZZ, max_examples=1_000)
@given(edits=st.dictionaries(st.sampled_from([*BASE_CHANGE, "incident", "waivers", "regions", "x"]), values, max_size=4))
def test_arbitrary_values_never_escape_as_other_exceptions(edits: dict[str, Any]) -> None:
    engine, catalog = _engine_and_catalog()
    change = {**BASE_CHANGE, **edits}
    try:
        d = engine.evaluate(change, catalog, now=NOW)
    except shipgate.ShipgateError:
        return
    assert d.verdict in ("allow", "pending", "deny")


_CACHE: dict[str, Any] = {}


def _engine_and_catalog() -> tuple[shipgate.Engine, shipgate.Catalog]:
    if not _CACHE:
        from conftest import PAYMENTS

        _CACHE["engine"] = shipgate.Engine.from_path(PAYMENTS)
        _CACHE["catalog"] = shipgate.Catalog(BASE_CATALOG)
    return _CACHE["engine"], _CACHE["catalog"]


def test_fuzz_fixtures_are_valid() -> None:
    """The base inputs the fuzzers damage are themselves accepted."""
    engine, catalog = _engine_and_catalog()
    assert engine.evaluate(BASE_CHANGE, catalog, now=NOW).verdict in ("allow", "pending", "deny")
