"""Type stubs for shipgate's native module (re-exported by the ``shipgate`` package).

Times: wherever the engine reads an instant it accepts an *aware* ``datetime`` (any tzinfo,
``datetime.timezone.utc`` or a ``zoneinfo.ZoneInfo``) or an RFC 3339 string with an offset; a
naive ``datetime`` raises :class:`InputError`, it is never guessed. Durations are a
``timedelta`` (whole seconds), an ``int`` of seconds, or text like ``"1h30m"``. Instants the
engine returns are aware ``datetime``s in UTC; durations are ``timedelta``s.
"""

import os
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Literal, TypedDict, Union, final

__version__: str

_Path = Union[str, os.PathLike[str]]
_Instant = Union[datetime, str]
_Duration = Union[timedelta, int, str]
_ChangeInput = Union["Change", Mapping[str, Any]]
_CatalogInput = Union["Catalog", Mapping[str, Any]]

class Appended(TypedDict):
    """What :meth:`AuditLog.append` did."""

    first_seq: int
    last_seq: int
    hash: str
    """The chain's new head, ``sha256:<hex>``."""
    warnings: list[str]
    """A torn last line removed before appending (also issued as a ``UserWarning``)."""

class Tamper(TypedDict):
    """The first bad record of an archive."""

    seq: int
    line: int | None
    """For a file: its 1-based line."""
    kind: Literal["torn", "malformed", "edited", "sequence", "link"]
    message: str

class VerifyReport(TypedDict):
    intact: bool
    records: int
    """Records intact before the first problem (all of them when intact)."""
    head: str | None
    problem: Tamper | None

class OpenObligation(TypedDict):
    change: str
    rule: str
    group: str
    needed: int
    due: str
    seq: int

class ObligationReport(TypedDict):
    now: str
    overdue: list[OpenObligation]
    open: list[OpenObligation]

@final
class AuditLog:
    """A decision archive (``docs/governance.md``): a file of JSON lines, or a
    ``postgres://`` URL. Appends from many threads, handles or processes make one hash chain.
    An archive that cannot be opened, read or appended to raises :class:`ShipgateError` with
    ``code == "AUDIT_ERROR"``."""

    def __init__(self, target: str) -> None:
        """Opens the archive, creating the file or the table when absent."""
    @property
    def target(self) -> str:
        """The target, a URL's password hidden."""
    def append(self, decision: Decision, at: _Instant | None = None) -> Appended:
        """Appends a decision; ``at`` (default: the current time) is the record's ``at``."""
    def verify(self) -> VerifyReport:
        """Checks every record's hash, ``seq`` and ``prev``; never raises for tampering."""
    def records(
        self,
        from_: _Instant | None = None,
        to: _Instant | None = None,
        change: str | None = None,
    ) -> list[dict[str, Any]]:
        """The records ``{"seq", "at", "decision", "prev", "hash"}`` appended in
        ``[from_, to)`` (by ``at``) of ``change``; an archive that is not intact raises."""
    def obligations(self, now: _Instant | None = None) -> ObligationReport:
        """The obligations of each change's latest decision: overdue when ``due <= now``."""

class CompileWarning(TypedDict):
    """A compile warning (the Node binding's ``engine.warnings`` has the same objects)."""

    message: str
    severity: Literal["warning", "error"]
    file: str | None
    """Where it points, with ``line`` and ``column`` (1-based); ``None`` while the engine does
    not report a warning's place."""
    line: int | None
    column: int | None

class ShipgateError(Exception):
    """Base class of every error shipgate raises.

    A bug inside the engine (a Rust panic) is also raised as a ``ShipgateError``, never as
    anything that ``except Exception`` would miss (``code == "INTERNAL_ERROR"``).

    Every error has all of the attributes below (``None`` where one does not apply), with the
    same names and meanings as the fields of the Node binding's errors.
    """

    code: Literal["POLICY_ERROR", "INPUT_ERROR", "INTERNAL_ERROR"]
    message: str
    """One line: ``path: what is wrong`` for an input error, ``file:line:col: what is wrong``
    for a policy error."""
    path: str | None
    """An input error's JSON path; a policy error's file (the same as ``file``)."""
    file: str | None
    """A policy error's file."""
    line: int | None
    column: int | None
    diagnostics: str | None
    """A policy error's diagnostics, rendered."""
    index: int | None
    """:meth:`Engine.evaluate_many`: the position of the change that failed."""

class PolicyError(ShipgateError):
    """The policy set does not compile, or cannot be read.

    ``str(e)`` is every diagnostic rendered rustc-style (``file:line:col``, the source line, a
    caret and "did you mean"), the same text ``shipgate validate`` prints.
    """

    code: Literal["POLICY_ERROR"]
    path: str | None
    """The file of the first error (as named in the diagnostics); the same as ``file``."""
    file: str | None
    line: int | None
    """1-based line of the first error; ``None`` when the error has no place in a file."""
    column: int | None
    """1-based column of the first error; ``None`` when the error has no place in a file."""
    diagnostics: str
    """Every diagnostic, rendered (the same text as ``str(e)``)."""

class InputError(ShipgateError):
    """A change, a catalog or an argument cannot be read.

    ``str(e)`` and ``message`` are ``"<path>: <what is wrong>"``, for example
    ``"change.approvals[2].at: a naive datetime is ambiguous: ..."``.
    """

    code: Literal["INPUT_ERROR"]
    path: str
    """The JSON path of the value: ``change.start``, ``catalog.services[3].depends_on[0]``,
    ``changes[7].start`` (in :meth:`Engine.evaluate_many`), or the argument (``now``)."""
    message: str
    """``path: what is wrong``, the same as ``str(e)``."""

@final
class Catalog:
    """A service catalog, checked and compiled once, then shared by every evaluation.

    ``data`` is ``{"services": [{"id", "team", "tier", "depends_on", "regions", ...}]}``
    (SPEC section 3). Unknown dependencies, duplicate ids and cycles raise
    :class:`InputError`.
    """

    def __init__(self, data: Mapping[str, Any]) -> None: ...
    @staticmethod
    def from_path(path: _Path, *, max_input_bytes: int = ...) -> Catalog:
        """Reads a catalog file, JSON or YAML by extension, as the CLI does; a file that cannot
        be read raises :class:`InputError` at ``catalog``. ``max_input_bytes`` changes the
        size limit (16 MiB; ``ValueError`` for 0 or past its ceiling, docs/security.md)."""
    @property
    def service_ids(self) -> list[str]:
        """The service ids, in catalog order."""
    def __len__(self) -> int: ...
    def __contains__(self, service_id: object) -> bool: ...

@final
class Change:
    """A change request read once. Pass it to :meth:`Engine.evaluate` instead of a dict to
    skip reading the dict again on every call.

    ``data`` is the change as in SPEC section 3; a missing required field or a value of the
    wrong type raises :class:`InputError` naming its JSON path (``change.start``).
    """

    def __init__(self, data: Mapping[str, Any]) -> None: ...
    @staticmethod
    def from_path(path: _Path, *, max_input_bytes: int = ...) -> Change:
        """Reads a change file, JSON or YAML by extension, as the CLI does; a file that cannot
        be read raises :class:`InputError` at ``change``. ``max_input_bytes`` changes the
        size limit (16 MiB; ``ValueError`` for 0 or past its ceiling, docs/security.md)."""
    @property
    def id(self) -> str: ...

@final
class Engine:
    """A compiled policy set. Thread-safe; evaluation releases the GIL."""

    @staticmethod
    def from_path(
        path: _Path | Sequence[_Path],
        *,
        max_policy_file_bytes: int = ...,
        max_policy_bytes: int = ...,
        max_rrule_starts_per_rule: int = ...,
        max_rrule_starts_per_policy: int = ...,
        max_eval_steps: int = ...,
    ) -> Engine:
        """Compiles every ``.gate`` file under a folder (sorted by path), one file, or a list of
        files and folders, as one policy set. Raises :class:`PolicyError`.

        The keyword arguments change the limits of docs/security.md (defaults: 4 MiB a
        file, 16 MiB a set, 10,000 and 100,000 rrule starts a year, 10,000,000 evaluation
        steps a decision); ``ValueError`` for 0 or a value past a limit's ceiling."""
    @staticmethod
    def from_source(
        text: str,
        name: str = "inline.gate",
        *,
        max_policy_file_bytes: int = ...,
        max_policy_bytes: int = ...,
        max_rrule_starts_per_rule: int = ...,
        max_rrule_starts_per_policy: int = ...,
        max_eval_steps: int = ...,
    ) -> Engine:
        """Compiles policy text; ``name`` is what diagnostics and ``at`` locations call it.
        The keyword arguments are those of :meth:`from_path`."""
    def evaluate(
        self,
        change: _ChangeInput,
        catalog: _CatalogInput,
        now: _Instant | None = None,
        explain: bool = False,
        scheduled: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
        audit_log: AuditLog | None = None,
    ) -> Decision:
        """Decides one change at ``now`` (default: the current time). With ``explain``, the
        decision's ``trace`` lists every tier, rule and strategy arm evaluated.

        ``scheduled`` is the changes already scheduled: a plan as :meth:`Plan.to_dict` (or
        ``shipgate plan --format json``) gives it, or a list of ``{"id", "services", "start",
        "end"}``. The decision's ``conflicts`` then lists the runs that overlap the change's
        and touch one of its services or a direct neighbour, and ``change.conflicts`` counts
        them (0 without ``scheduled``). A bad schedule raises :class:`InputError` at its path
        (``scheduled[0].start``; an unknown service is an error too).

        ``catalog`` is a :class:`Catalog`, or a mapping compiled for this call only. Raises
        :class:`InputError` for a change or catalog that cannot be read (or a naive ``now``)
        and ``TypeError`` when ``catalog`` is neither.

        With ``audit_log``, the decision is appended to that archive at the current time
        before it is returned; a failed append raises (code ``AUDIT_ERROR``)."""
    def evaluate_many(
        self,
        changes: Iterable[_ChangeInput],
        catalog: _CatalogInput,
        now: _Instant | None = None,
    ) -> list[Decision]:
        """Decides many changes in parallel on all cores with the GIL released; the results
        are in input order. All changes are read first: the first one (lowest index) that
        cannot be read or decided raises :class:`InputError` naming its index
        (``changes[3].start``, and ``index == 3``), and no decisions are returned."""
    def replay(
        self,
        new: Engine,
        catalog: _CatalogInput,
        changes: str | os.PathLike[str],
    ) -> dict[str, Any]:
        """Decides every line of ``changes`` (JSON lines of ``{"change": {...}, "now": T}``)
        under this policy and ``new``, on all cores with the GIL released, and returns
        ``{"total", "changed": [{"change", "old", "new", "reasons_added",
        "reasons_removed"}]}``: the changes ``new`` decides differently. A line that cannot be
        read or decided raises :class:`InputError` naming it (``changes.jsonl:12``)."""
    def plan(
        self,
        changes: Iterable[_ChangeInput],
        catalog: _CatalogInput,
        start: _Instant | None = None,
        previous: Plan | Mapping[str, Any] | None = None,
    ) -> Plan:
        """Plans a release train (``docs/planning.md``) with the GIL released: orders the
        changes and gives each the earliest start its decision does not deny, or lists it as
        unschedulable with the reason. ``start`` (default: the current time) is the earliest
        any change starts and the decisions' ``now``. A change that cannot be read, a cycle,
        an unknown ``after`` or a duplicate id raises :class:`InputError` at its path under
        ``changes[i]``. ``previous``, an earlier plan (a :class:`Plan` or the JSON of
        ``shipgate plan --format json`` as a dict), compares the new plan with it, as
        ``shipgate plan --previous``: :attr:`Plan.since`. An earlier plan that cannot be read
        raises :class:`InputError` at its path under ``previous``."""
    def rollback(
        self,
        change: _ChangeInput,
        catalog: _CatalogInput,
        observations: Mapping[str, Any],
        now: _Instant | None = None,
    ) -> RollbackCheck:
        """Checks the rollback triggers that apply to the change (those its decision at
        ``now`` lists) against ``observations`` (``docs/rollback.md``): ``{"baseline":
        {metric: number}, "metrics": {metric: [(time, value), ...]}, "intervals": {metric:
        duration}}``, ``baseline`` and ``intervals`` optional. A time is an aware ``datetime``
        or RFC 3339 text; a value is a number, or ``None`` / NaN for a sample without data.
        Samples after ``now`` (default: the current time) are not read. A trigger relative to
        a baseline whose metric has none, or samples out of order, raise :class:`InputError`
        at their path (``observations.metrics.error_rate[3][0]``)."""
    def next_window(self, region: str, after: _Instant, duration: _Duration) -> Stretch | None:
        """The first stretch in ``region`` at or after ``after`` with room for ``duration``;
        ``None`` when there is none within the horizon. An unknown region raises
        :class:`InputError`."""
    def change_next_window(
        self, change: _ChangeInput, catalog: _CatalogInput, after: _Instant
    ) -> Stretch | None:
        """The earliest stretch at or after ``after`` where the whole change (its
        ``duration``) fits every calendar that applies to it at once: all its regions'
        calendars, each in its own time zone. ``start`` is where it may start, ``end`` where
        that common stretch ends; ``None`` when there is none within the horizon (365 days).
        The calendars as declared (a decision's ``schedule.next_window`` also counts its
        exemptions). The change is checked as :meth:`evaluate` checks it: an unknown region
        raises :class:`InputError`."""
    @property
    def regions(self) -> list[str]:
        """The policy set's regions, in declaration order."""
    @property
    def policy_digest(self) -> str:
        """``sha256:<hex>``: the ``policy`` of every decision this engine makes."""
    def region_timezone(self, region: str) -> str | None:
        """The IANA zone a region's times are read in; ``None`` for an unknown region or one
        that uses no calendar."""
    def calendar(
        self,
        *,
        from_: _Instant,
        to: _Instant,
        region: str | None = None,
        service: str | None = None,
        catalog: Catalog | Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """The calendar of one region, or of one service (which needs ``catalog``; a region
        refuses one), over ``[from_, to)`` (at most three years): the dict of ``shipgate
        calendar --format json`` with ``scope``, ``timezone`` (the zone the scope is read in)
        and ``days`` (``{"date", "utc_offset_start", "utc_offset_end", "dst_change"}`` for each
        local day). Bad input raises :class:`InputError` (an unknown region, ``to`` not after
        ``from_``) or ``ValueError`` (both or neither of ``region`` and ``service``)."""
    def calendar_ics(
        self,
        *,
        from_: _Instant,
        to: _Instant,
        region: str | None = None,
        service: str | None = None,
        catalog: Catalog | Mapping[str, Any] | None = None,
    ) -> str:
        """:meth:`calendar` as an RFC 5545 iCalendar document."""
    @property
    def warnings(self) -> list[CompileWarning]:
        """Compile warnings, one dict each; empty when there are none."""
    def render_warnings(self) -> str:
        """Compile warnings rendered rustc-style; empty when there are none."""

@final
class Decision:
    """The engine's answer for one change at one instant (SPEC section 4).

    Attributes are built when read; :meth:`to_dict` is the JSON of
    ``shipgate check --format json`` as plain Python objects. Decisions compare equal when
    every part is equal.
    """

    @property
    def verdict(self) -> Literal["allow", "pending", "deny"]:
        """``deny`` if a rule denied or the start is not allowed somewhere; else ``pending`` if
        a requirement is unsatisfied; else ``allow``."""
    @property
    def change(self) -> str:
        """The change's id."""
    @property
    def now(self) -> datetime:
        """The instant the decision was taken at (aware, UTC)."""
    @property
    def tier(self) -> str:
        """The computed risk tier."""
    @property
    def reasons(self) -> list[Reason]:
        """Every rule that denied (``"schedule"`` for a start that is not allowed)."""
    @property
    def requirements(self) -> list[Requirement]:
        """Approvals and checks asked for, satisfied or not."""
    @property
    def obligations(self) -> list[Obligation]:
        """Approvals owed after the change (``require approval "cab" within 48h after``) and
        still missing; they never block the change. Empty when nothing is owed (and the key
        is then absent from :meth:`to_dict`)."""
    @property
    def exemptions(self) -> list[Exemption]:
        """What was lifted, and by which rule or waiver."""
    @property
    def waivers(self) -> list[WaiverOutcome]:
        """The change's waivers, honoured or not, with why."""
    @property
    def schedule(self) -> Schedule:
        """The requested stretch and each region's view of it."""
    @property
    def conflicts(self) -> list[Conflict] | None:
        """With ``evaluate(..., scheduled=...)``, the scheduled runs that conflict with the
        change, by start then id; ``None`` when no schedule was given."""
    @property
    def strategy(self) -> str | None:
        """The deployment strategy chosen (``canary``, ``blue_green``, ``rolling``, ...)."""
    @property
    def rollback(self) -> list[RollbackTrigger]:
        """The rollback triggers that apply to this change."""
    @property
    def notify(self) -> list[str]:
        """The audiences to tell."""
    @property
    def order(self) -> list[list[str]]:
        """The touched services in deployment waves, dependencies first."""
    @property
    def trace(self) -> list[TraceEntry]:
        """With ``explain=True``: every step evaluated; else empty."""
    @property
    def to_ship(self) -> list[dict[str, Any]] | None:
        """With ``explain=True``: what stands between the change and shipping, in order, as the
        decision JSON's ``to_ship`` (``step``, ``text``, ``rule``, ``group``, ``missing``,
        ``window``); ``None`` without explain."""
    @property
    def policy(self) -> str:
        """``sha256:<hex>`` over the policy set's files (relative paths and bytes), computed
        once when the engine was compiled (format in docs/semantics.md)."""
    @property
    def inputs(self) -> str:
        """``sha256:<hex>`` over the RFC 8785 canonical JSON of ``{"catalog", "change"}`` as
        given (for a dict: the JSON it converts to); hashed the first time it is read."""
    @property
    def engine(self) -> str:
        """``shipgate <version>``: the engine that decided."""
    def to_dict(self) -> dict[str, Any]:
        """The whole decision as the contract's JSON (RFC 3339 strings for instants, ``"5m"``
        for durations), keys in contract order."""
    def to_json(self) -> str:
        """The stable JSON text, exactly as ``shipgate check --format json`` prints it
        (without the final newline)."""

@final
class Reason:
    """A rule that denied."""

    @property
    def rule(self) -> str: ...
    @property
    def message(self) -> str: ...
    @property
    def at(self) -> str:
        """``file:line:col`` of the effect that denied, of ``default deny``, or for
        ``schedule`` of the declaration that blocked the start (a blackout, a calendar's
        windows, a region)."""
    def to_dict(self) -> dict[str, Any]: ...

@final
class Ignored:
    """An approval, or a check's evidence, that did not count."""

    @property
    def by(self) -> str:
        """Who approved; for a check, the check's name."""
    @property
    def why(self) -> str:
        """Approvals: ``requester``, ``implementer``, ``not a member of <group>``,
        ``in the future`` or ``duplicate``. Checks: ``failed``, ``pending``,
        ``in the future``, ``time unknown`` or ``older than <within>``."""
    def to_dict(self) -> dict[str, Any]: ...

@final
class Requirement:
    """An approval or check asked for by a rule."""

    @property
    def rule(self) -> str: ...
    @property
    def kind(self) -> Literal["approval", "check"]: ...
    @property
    def group(self) -> str | None:
        """The approving group (approvals only)."""
    @property
    def check(self) -> str | None:
        """The check's name (checks only)."""
    @property
    def within(self) -> str | None:
        """How recent the check must be, as the policy writes it (``30d``); ``None``
        without ``within``."""
    @property
    def needed(self) -> int: ...
    @property
    def counted(self) -> list[str]:
        """Approvers who counted, or the check's name once done."""
    @property
    def ignored(self) -> list[Ignored]: ...
    @property
    def satisfied(self) -> bool: ...
    def to_dict(self) -> dict[str, Any]: ...

@final
class Exemption:
    """Something lifted for this change by a rule's ``exempt`` effect or by a waiver.

    ``to_dict()`` is flat, as the JSON: ``{"rule": ..., "lifts": "blackout", "blackouts":
    [...]}``, ``{"rule": ..., "lifts": "window"}``, ``{"rule": ..., "lifts": "rule",
    "target": ...}``, or for a waiver ``{"waiver": <who granted it>, "lifts": "rule",
    "target": ...}``.
    """

    @property
    def rule(self) -> str | None:
        """The rule whose ``exempt`` applied; ``None`` for a waiver."""
    @property
    def waiver(self) -> str | None:
        """Who granted the honoured waiver; ``None`` for a rule."""
    @property
    def lifts(self) -> Literal["blackout", "window", "rule"]: ...
    @property
    def blackouts(self) -> list[str] | None:
        """With ``lifts == "blackout"``: the blackouts that met the change's run and were
        lifted (``[]`` when none did); else ``None``."""
    @property
    def target(self) -> str | None:
        """With ``lifts == "rule"``: the rule lifted; else ``None``."""
    def to_dict(self) -> dict[str, Any]: ...

@final
class WaiverOutcome:
    """A waiver found on the change, honoured or not."""

    @property
    def rule(self) -> str:
        """The rule the waiver is for; empty for a blackout waiver."""
    @property
    def blackout(self) -> str | None:
        """The blackout name the waiver is for; ``None`` for a rule waiver."""
    @property
    def by(self) -> str: ...
    @property
    def honored(self) -> bool: ...
    @property
    def why(self) -> str:
        """Why it was rejected; empty when honoured."""
    def to_dict(self) -> dict[str, Any]: ...

@final
class Conflict:
    """An already scheduled run that conflicts with the change (``docs/planning.md``)."""

    @property
    def change(self) -> str:
        """The scheduled change's id."""
    @property
    def services(self) -> list[str]:
        """Its services that make the conflict (the change's own and their direct
        neighbours)."""
    @property
    def start(self) -> datetime:
        """Aware, in UTC."""
    @property
    def end(self) -> datetime:
        """Aware, in UTC."""
    @property
    def region(self) -> str | None:
        """The run's region, for a plan's per-region entry."""
    def to_dict(self) -> dict[str, Any]:
        """The JSON form: ``{"change", "services", "start", "end"}`` (and ``"region"``)."""

@final
class Stretch:
    """An open stretch of time ``[start, end)``."""

    @property
    def start(self) -> datetime:
        """Aware, in UTC."""
    @property
    def end(self) -> datetime:
        """Aware, in UTC."""
    def to_dict(self) -> dict[str, Any]:
        """``{"start": ..., "end": ...}`` as RFC 3339 UTC strings."""

@final
class RegionSchedule:
    """One region's view of the requested stretch."""

    @property
    def region(self) -> str: ...
    @property
    def open(self) -> bool:
        """Whether the whole change fits in the region at the requested start."""
    @property
    def blocked_by(self) -> list[str]:
        """Blackouts hit, or ``"outside windows"``."""
    @property
    def next_window(self) -> Stretch | None:
        """The next stretch where the whole change fits; ``None`` within the horizon."""
    def to_dict(self) -> dict[str, Any]: ...

@final
class ServiceSchedule:
    """A touched service's own calendars (``services where``, its catalog ``calendars``)."""

    @property
    def service(self) -> str: ...
    @property
    def calendars(self) -> list[str]:
        """The calendar names, each once."""
    @property
    def open(self) -> bool:
        """Whether the whole change fits every one of them at once."""
    @property
    def blocked_by(self) -> list[str]:
        """Blackouts hit, or ``"outside windows"``."""
    @property
    def next_window(self) -> Stretch | None:
        """The next stretch where the whole change fits them; ``None`` within the horizon."""
    def to_dict(self) -> dict[str, Any]: ...

@final
class ChangeSchedule:
    """The change's own calendars (``changes where``)."""

    @property
    def calendars(self) -> list[str]:
        """The calendar names, each once."""
    @property
    def open(self) -> bool:
        """Whether the whole change fits every one of them at once."""
    @property
    def blocked_by(self) -> list[str]:
        """Blackouts hit, or ``"outside windows"``."""
    @property
    def next_window(self) -> Stretch | None:
        """The next stretch where the whole change fits them; ``None`` within the horizon."""
    def to_dict(self) -> dict[str, Any]: ...

@final
class Schedule:
    """The requested stretch and whether every region allows it."""

    @property
    def start(self) -> datetime:
        """Aware, in UTC."""
    @property
    def end(self) -> datetime:
        """Aware, in UTC."""
    @property
    def allowed(self) -> bool: ...
    @property
    def next_window(self) -> Stretch | None:
        """The earliest stretch, at or after the requested start, where the whole change fits
        every calendar that applies to it at once (all its regions'); ``None`` when there is
        none within the horizon (365 days). When allowed, it starts at the requested start."""
    @property
    def tzdb(self) -> str:
        """The IANA time-zone database version used."""
    @property
    def regions(self) -> list[RegionSchedule]: ...
    @property
    def services(self) -> list[ServiceSchedule]:
        """Touched services with calendars of their own (empty when none)."""
    @property
    def change(self) -> ChangeSchedule | None:
        """The change's own calendars, when ``changes where`` gives it any."""
    def to_dict(self) -> dict[str, Any]: ...

@final
class RollbackTrigger:
    """A rollback trigger that applies to the change."""

    @property
    def metric(self) -> str: ...
    @property
    def op(self) -> str: ...
    @property
    def threshold(self) -> float:
        """Absolute, or a factor of the baseline when ``relative_to`` is ``"baseline"``."""
    @property
    def relative_to(self) -> str | None: ...
    @property
    def for_(self) -> timedelta:
        """How long the breach must last (``"for"`` in the JSON)."""
    @property
    def on_no_data(self) -> str | None:
        """``"fire"`` when missing data fires the trigger."""
    def to_dict(self) -> dict[str, Any]: ...

@final
class Obligation:
    """Approvals owed after the change, still missing."""

    @property
    def rule(self) -> str: ...
    @property
    def group(self) -> str: ...
    @property
    def needed(self) -> int: ...
    @property
    def due(self) -> datetime:
        """The change's start plus the rule's ``within`` (aware, UTC)."""
    def to_dict(self) -> dict[str, Any]: ...

@final
class TriggerCheck:
    """One rollback trigger judged against observations."""

    @property
    def metric(self) -> str: ...
    @property
    def state(self) -> Literal["fired", "ok", "no_data"]: ...
    @property
    def since(self) -> datetime | None:
        """When ``fired``: the first sample of the breach still going on (aware, UTC)."""
    @property
    def op(self) -> str: ...
    @property
    def threshold(self) -> float:
        """What a sample is compared with (for ``150% of baseline``, 1.5 times the baseline)."""
    @property
    def baseline(self) -> float | None:
        """The baseline a relative threshold was computed from."""
    @property
    def for_(self) -> timedelta:
        """How long the breach must last (``"for"`` in the JSON)."""
    @property
    def on_no_data(self) -> str | None:
        """``"fire"`` when missing data means roll back."""
    @property
    def why(self) -> str | None:
        """When ``no_data``: why the samples cannot tell."""
    @property
    def at(self) -> str:
        """``file:line:col`` of the trigger."""
    def to_dict(self) -> dict[str, Any]: ...

@final
class RollbackCheck:
    """The answer of :meth:`Engine.rollback`; :meth:`to_dict` is the JSON of
    ``shipgate rollback --format json``."""

    @property
    def change(self) -> str: ...
    @property
    def now(self) -> datetime: ...
    @property
    def owner(self) -> str | None:
        """Who decides (``rollback owner`` in the policy); ``None`` when it names no one."""
    @property
    def triggers(self) -> list[TriggerCheck]:
        """Each trigger that applies to the change, in policy order."""
    @property
    def rollback(self) -> bool:
        """Whether to roll back: a trigger fired, or one with ``on no_data fire`` has no data."""
    def to_dict(self) -> dict[str, Any]: ...

@final
class TraceEntry:
    """One step of evaluation, recorded with ``explain=True``."""

    @property
    def kind(self) -> str:
        """``tier``, ``rule``, ``effect``, ``strategy``, ``notify``, ``trigger`` or ``waiver``."""
    @property
    def name(self) -> str: ...
    @property
    def outcome(self) -> str: ...
    @property
    def at(self) -> str:
        """``file:line:col`` of the policy text concerned; for a waiver naming no rule of the
        policy, its place in the change (``change.waivers[0]``)."""
    @property
    def values(self) -> list[dict[str, Any]]:
        """For a tier condition, rule guard or deny/allow condition: what each atom saw, as the
        decision JSON's ``values`` (``expr``, ``result``, ``error``, ``operands``, ``witness``)."""
    @property
    def more_values(self) -> int:
        """How many atoms were evaluated beyond those in ``values``."""
    def to_dict(self) -> dict[str, Any]: ...

@final
class PlannedChange:
    """One planned run: a whole change, or one region of a ``per_region`` rollout."""

    @property
    def id(self) -> str: ...
    @property
    def region(self) -> str | None:
        """The region of this run for a ``per_region`` rollout; ``None`` for a whole change."""
    @property
    def start(self) -> datetime:
        """Aware, in UTC."""
    @property
    def end(self) -> datetime:
        """Aware, in UTC: the start plus the change's duration."""
    @property
    def wave(self) -> int:
        """Its depth in the train's order: 0 when it follows no change of the train."""
    @property
    def regions(self) -> list[str]:
        """The regions the run touches; for a region of a rollout, that region alone."""
    @property
    def services(self) -> list[str]: ...
    @property
    def notify(self) -> list[str]:
        """Whom to tell about this run: its decision's ``notify`` audiences."""
    def to_dict(self) -> dict[str, Any]:
        """The plan JSON's entry (``region`` or ``regions``, as ``shipgate plan`` writes it)."""

@final
class Unschedulable:
    """A change the planner could not place, and why."""

    @property
    def id(self) -> str: ...
    @property
    def reason(self) -> str: ...
    @property
    def notify(self) -> list[str]:
        """Whom to tell about it: its decision's ``notify`` audiences."""
    def to_dict(self) -> dict[str, Any]: ...

@final
class Plan:
    """A planned release train; :meth:`to_dict` is the JSON of ``shipgate plan --format json``."""

    @property
    def changes(self) -> list[PlannedChange]:
        """In start order, ties by id (the regions of one rollout in their order)."""
    @property
    def unschedulable(self) -> list[Unschedulable]:
        """By id."""
    @property
    def is_complete(self) -> bool:
        """Whether every change was planned."""
    @property
    def since(self) -> dict[str, Any] | None:
        """With ``previous``: ``{"moved", "cancelled", "newly_unschedulable",
        "newly_planned"}``, each entry with ``notify``, as ``shipgate plan --previous``
        writes them (also in :meth:`to_dict`); ``None`` without."""
    @property
    def replan_warnings(self) -> list[str]:
        """With ``previous``: an earlier entry without ``notify`` (an older plan), told to
        the policy's unconditional audiences instead, one warning each."""
    def to_dict(self) -> dict[str, Any]: ...

def metrics(
    history: str | os.PathLike[str],
    *,
    from_: _Instant | None = None,
    to: _Instant | None = None,
    by: Literal["service", "team"] | None = None,
    format: Literal["jsonl", "csv"] | None = None,
) -> dict[str, Any]:
    """The delivery metrics of a history file (JSON lines, or CSV by extension or
    ``format``) over ``[from_, to)``: ``{"from", "to", "deployments", "per_day",
    "lead_time_median_s", "lead_time_p90_s", "change_failure_rate",
    "time_to_restore_median_s", "groups": [{"key", ...}]}`` (docs/metrics.md). A figure with
    nothing to measure is ``None``. A bad record raises :class:`InputError` naming its line
    and field (``history.jsonl:12: deployed_at``)."""

def metrics_svg(
    history: str | os.PathLike[str],
    *,
    from_: _Instant | None = None,
    to: _Instant | None = None,
    by: Literal["service", "team"] | None = None,
    format: Literal["jsonl", "csv"] | None = None,
) -> str:
    """The figures of :func:`metrics` as an SVG chart of the four measures week by week
    (``shipgate metrics --format svg``)."""

def read_document(path: str | os.PathLike[str], *, max_input_bytes: int = ...) -> Any:
    """A JSON or YAML file (by extension) as plain Python objects, read as the engine reads its
    inputs: the size limit (``max_input_bytes``), the nesting limit, and a key given twice
    raises :class:`InputError`; a file that cannot be read raises :class:`InputError` at
    ``path``. The twin of the Node binding's ``readDocument``."""

def draw_graph(
    catalog: Mapping[str, Any], *, format: Literal["json", "dot", "mermaid"] = "json"
) -> Any:
    """The catalog's dependency graph in waves (``shipgate graph``): a dict (``services``,
    ``tiers``, ``edges``, ``waves``, ``cycles``) for ``"json"``, text for ``"dot"`` and
    ``"mermaid"``. A cycle is drawn, not refused; an unknown dependency raises
    :class:`InputError`."""
