"""shipgate: may this change ship now, and if not, what is missing and when is the next window?

Compile a policy set once with :class:`Engine`, build a :class:`Catalog` once, and ask for a
:class:`Decision` for each change::

    import shipgate
    engine = shipgate.Engine.from_path("policies/payments")
    catalog = shipgate.Catalog({"services": [...]})
    decision = engine.evaluate(change_dict, catalog, now=datetime.now(timezone.utc))
    print(decision.verdict, decision.to_dict())

Errors are :class:`ShipgateError`, or its subclasses :class:`PolicyError` (the policy does not
compile: ``.path``, ``.line``, ``.column``) and :class:`InputError` (an input cannot be read:
``.path`` is its JSON path).
"""

from ._shipgate import (
    AuditLog,
    Catalog,
    Change,
    Conflict,
    Decision,
    Engine,
    Exemption,
    Ignored,
    InputError,
    Obligation,
    Plan,
    PlannedChange,
    PolicyError,
    Reason,
    RegionSchedule,
    ServiceSchedule,
    ChangeSchedule,
    Requirement,
    RollbackCheck,
    RollbackTrigger,
    Schedule,
    ShipgateError,
    Stretch,
    TraceEntry,
    TriggerCheck,
    Unschedulable,
    WaiverOutcome,
    __version__,
    draw_graph,
    metrics,
    metrics_svg,
    read_document,
)

__all__ = [
    "draw_graph",
    "read_document",
    "metrics",
    "metrics_svg",
    "AuditLog",
    "Catalog",
    "Change",
    "Conflict",
    "Decision",
    "Engine",
    "Exemption",
    "Ignored",
    "InputError",
    "Obligation",
    "Plan",
    "PlannedChange",
    "PolicyError",
    "Reason",
    "RegionSchedule",
    "ServiceSchedule",
    "ChangeSchedule",
    "Requirement",
    "RollbackCheck",
    "RollbackTrigger",
    "Schedule",
    "ShipgateError",
    "Stretch",
    "TraceEntry",
    "TriggerCheck",
    "Unschedulable",
    "WaiverOutcome",
    "__version__",
]
