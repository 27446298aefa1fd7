// Type declarations for the `shipgate` Node package. Hand-written and committed; the test
// `test/dts.test.mjs` checks them against the Rust `#[napi]` items in `src/lib.rs` (every
// class, constructor, static, method and getter, and each one's parameters by name and
// optionality) and against what the loaded package exports, so a change to either side that
// is not made here fails the tests.
//
// A `Decision` builds each part when it is read; its parts, and its plain form `toObject()`,
// have exactly the keys of `shipgate check --format json` (snake_case: `blocked_by`,
// `next_window`, `relative_to`, ...), so they compare equal to the CLI's output. Only the method
// names of this API are camelCase.

/** An instant: a `Date`, or RFC 3339 text with an offset (`"2026-12-01T10:00:00Z"`). */
export type Time = Date | string

/** A duration: text like `"2h"`, `"90m"`, `"1h30m"`, or a whole number of seconds. */
export type Duration = string | number

/** Options of `evaluate` and `evaluateAsync`. Any other key is an `INPUT_ERROR`. */
export interface EvaluateOptions {
  /** The evaluation instant; default: the current time. */
  now?: Time
  /** Fill the decision's `trace` with every tier, rule and strategy arm evaluated. */
  explain?: boolean
  /**
   * The changes already scheduled: a plan as `plan(...).toObject()` or `shipgate plan --format
   * json` gives it, or a list of `{id, services, start, end}`. The decision's `conflicts` then
   * lists the runs that overlap the change's and touch one of its services or a direct
   * neighbour, and `change.conflicts` counts them (0 without it). A bad schedule is an
   * `INPUT_ERROR` at its path (`options.scheduled[0].start`).
   */
  scheduled?: ScheduledInput
  /**
   * Append the decision to this archive (at the current time) before returning it; a failed
   * append throws `AUDIT_ERROR`. `evaluate` and `evaluateAsync` only.
   */
  auditLog?: AuditLog
}

/** One already scheduled run, in the list form of `EvaluateOptions.scheduled`. */
export interface ScheduledRunInput {
  id: string
  services: string[]
  start: Time
  end: Time
}

/** A plan's JSON (`{changes: [...], ...}`) or a list of runs. */
export type ScheduledInput = { changes: Array<ScheduledRunInput & Record<string, unknown>> } & Record<string, unknown> | ScheduledRunInput[]

/** An already scheduled run that conflicts with the decided change. */
export interface Conflict {
  /** The scheduled change's id. */
  change: string
  /** Its services that make the conflict (the change's own and their direct neighbours). */
  services: string[]
  /** RFC 3339 UTC. */
  start: string
  /** RFC 3339 UTC. */
  end: string
  /** The run's region, for a plan's per-region entry. */
  region?: string
}

/** Options of `evaluateMany` and `evaluateManyAsync`. */
export interface EvaluateManyOptions {
  /** The evaluation instant for every change; default: the current time. */
  now?: Time
}

/** A service of the catalog (SPEC section 3); other keys are `extend service` fields. */
export interface ServiceInput {
  id: string
  team?: string
  /** 0 (most critical) to 3. */
  tier?: number
  depends_on?: string[]
  regions?: string[]
  stateful?: boolean
  automated_rollback?: boolean
  legacy?: boolean
  monitored?: boolean
  /** Fraction of the error budget remaining; may be negative. */
  error_budget?: number
  [field: string]: unknown
}

export interface CatalogInput {
  services: ServiceInput[]
  /**
   * The members of groups the policy knows: `{cab: ['ana', 'eve']}`. An approval in a listed
   * group by anyone else does not count; a group not listed accepts anyone.
   */
  groups?: Record<string, string[]>
}

export interface ApprovalInput {
  by: string
  group: string
  at: Time
}

/**
 * A check run for the change, with its evidence. A bare name in `checks` is a check that
 * passed at an unknown time (it never satisfies `require check ... within D`).
 */
export interface CheckInput {
  name: string
  /** Only `passed` counts. */
  status: 'passed' | 'failed' | 'pending'
  /** When it ran. */
  at?: Time | null
  /** Where the evidence is (a CI run, a report). */
  url?: string | null
}

export interface IncidentInput {
  id: string
  severity: number
  opened?: Time
}

/** A waiver names exactly one of `rule` and `blackout` (the blackouts of that name). */
export type WaiverInput = (
  | { rule: string; blackout?: never }
  | { blackout: string; rule?: never }
) & {
  by: string
  group: string
  reason: string
  granted_at: Time
  expires_at: Time
}

/**
 * A change request (SPEC section 3). A `Date` is accepted wherever an instant is (`start`,
 * `approvals[].at`, `checks[].at`, `granted_at`, ...) and is read as RFC 3339 UTC. Other keys are
 * `extend change` fields.
 */
export interface ChangeInput {
  id: string
  title?: string
  kind?: string[]
  services: string[]
  requester: string
  implementer: string
  approvals?: ApprovalInput[]
  checks?: Array<string | CheckInput>
  emergency?: boolean
  incident?: IncidentInput
  start?: Time
  duration?: Duration
  regions?: string[]
  size?: number
  labels?: string[]
  backward_compatible?: boolean
  contract_verified?: boolean
  after?: string[]
  /** For `plan`: `"per_region"` plans the change region by region (docs/planning.md). */
  rollout?: 'all_at_once' | 'per_region'
  /** For `plan`: the wait between the regions of a `per_region` rollout. */
  soak?: Duration
  waivers?: WaiverInput[]
  [field: string]: unknown
}

export type Verdict = 'allow' | 'pending' | 'deny'

export interface Reason {
  rule: string
  message: string
  /**
   * `file:line:col` of the effect that denied, of `default deny`, or for `schedule` of the
   * declaration that blocked the start (a blackout, a calendar's windows, a region).
   */
  at: string
}

export interface Ignored {
  /** Who approved; for a check, the check's name. */
  by: string
  /**
   * Approvals: `requester`, `implementer`, `not a member of <group>`, `in the future` or
   * `duplicate`. Checks: `failed`, `pending`, `in the future`, `time unknown` or
   * `older than <within>`.
   */
  why: string
}

export interface Requirement {
  rule: string
  kind: 'approval' | 'check'
  /** The approving group (approvals only). */
  group?: string
  /** The check's name (checks only). */
  check?: string
  /** How recent the check must be, as the policy writes it (`30d`); absent without `within`. */
  within?: string
  needed: number
  counted: string[]
  ignored: Ignored[]
  satisfied: boolean
}

/**
 * What was lifted for this change: by a rule's `exempt` effect (`rule`) or a honoured waiver
 * (`waiver`, who granted it); `blackouts` are those that met the change's run (`[]` when none
 * did), `target` the rule lifted.
 */
export type Exemption = ({ rule: string } | { waiver: string }) &
  (
    | { lifts: 'blackout'; blackouts: string[] }
    | { lifts: 'window' }
    | { lifts: 'rule'; target: string }
  )

/** A rule waiver has `rule`, a blackout waiver `blackout` (SPEC 8.3). */
export interface WaiverOutcome {
  rule?: string
  blackout?: string
  by: string
  honored: boolean
  /** Why it was rejected; absent when honoured. */
  why?: string
}

/** An open stretch of time `[start, end)`, RFC 3339 UTC. */
export interface Stretch {
  start: string
  end: string
}

export interface RegionSchedule {
  region: string
  open: boolean
  blocked_by: string[]
  next_window: Stretch | null
}

/** A touched service's own calendars (`services where`, its catalog `calendars`). */
export interface ServiceSchedule {
  service: string
  calendars: string[]
  open: boolean
  blocked_by: string[]
  next_window: Stretch | null
}

/** The change's own calendars (`changes where`). */
export interface ChangeSchedule {
  calendars: string[]
  open: boolean
  blocked_by: string[]
  next_window: Stretch | null
}

export interface Schedule {
  start: string
  end: string
  allowed: boolean
  /**
   * The earliest stretch, at or after the requested start, where the whole change fits every
   * calendar that applies to it at once (all its regions', its services' and its own); `null`
   * when there is none within the horizon (365 days). When allowed, it starts at the
   * requested start.
   */
  next_window: Stretch | null
  /** The IANA time-zone database version used. */
  tzdb: string
  regions: RegionSchedule[]
  /** Touched services with calendars of their own; absent when there is none. */
  services?: ServiceSchedule[]
  /** The change's own calendars; absent when no `changes where` gives it any. */
  change?: ChangeSchedule
}

export interface RollbackTrigger {
  metric: string
  op: string
  threshold: number
  /** `"baseline"` when the threshold is relative. */
  relative_to?: string
  for: string
  /** `"fire"` when the trigger fires on missing data. */
  on_no_data?: string
}

/** Approvals owed after the change (`require approval "cab" within 48h after`), still missing. */
export interface Obligation {
  rule: string
  group: string
  needed: number
  /** The change's start plus the rule's `within`, RFC 3339 UTC. */
  due: string
}

/** Options of `rollback`. Any other key is an `INPUT_ERROR`. */
export interface RollbackOptions {
  /** The instant of the check (later samples are not read); default: the current time. */
  now?: Time
}

/**
 * Observed samples for `rollback` (docs/rollback.md): each metric's `[time, value]` samples in
 * increasing time (a value is a number, or `null` / `NaN` for a sample without data), the
 * baselines of `% of baseline` thresholds, and optionally each metric's sampling interval.
 */
export interface ObservationsInput {
  baseline?: Record<string, number>
  metrics: Record<string, ReadonlyArray<readonly [Time, number | null]>>
  intervals?: Record<string, Duration>
}

/** One rollback trigger judged against observations. */
export interface TriggerCheck {
  metric: string
  state: 'fired' | 'ok' | 'no_data'
  /** When `fired`: the first sample of the breach still going on, RFC 3339 UTC. */
  since?: string
  op: string
  /** What a sample is compared with (for `150% of baseline`, 1.5 times the baseline). */
  threshold: number
  /** The baseline a relative threshold was computed from. */
  baseline?: number
  for: string
  /** `"fire"` when missing data means roll back. */
  on_no_data?: string
  /** When `no_data`: why the samples cannot tell. */
  why?: string
  /** `file:line:col` of the trigger. */
  at: string
}

/** The answer of `rollback`: the object of `shipgate rollback --format json`. */
export interface RollbackCheck {
  change: string
  now: string
  /** Who decides (`rollback owner` in the policy); `null` when it names no one. */
  owner: string | null
  /** Each trigger that applies to the change, in policy order. */
  triggers: TriggerCheck[]
  /** Whether to roll back: a trigger fired, or one with `on no_data fire` has no data. */
  rollback: boolean
}

export interface TraceEntry {
  kind: string
  name: string
  outcome: string
  /**
   * `file:line:col` of the policy text concerned; for a waiver naming no rule of the policy,
   * its place in the change (`change.waivers[0]`).
   */
  at: string
  /** With `explain`, for a tier condition, rule guard or deny/allow condition: what each atom saw. */
  values?: SeenValue[]
  /** How many atoms were evaluated beyond those in `values` (absent when none). */
  more_values?: number
}

/** What one atom of a condition saw (docs/explain.md). */
export interface SeenValue {
  /** The atom as the policy writes it. */
  expr: string
  /** What the atom came to; absent when it failed. */
  result?: boolean
  /** Why the atom could not be evaluated. */
  error?: string
  /** Both sides of a comparison, `in`, `subset_of`, `intersects`, `starts_with`, `ends_with`. */
  operands?: Operand[]
  /** For `any` that holds, the first element it holds for; for `all` that fails, the first it fails for. */
  witness?: string
}

/** One side of an atom, with its value. */
export interface Operand {
  expr: string
  /** A number, bool or string; a list as an array; any other value as its text. */
  value?: unknown
  /** Set when the operand is a literal of the policy. */
  literal?: boolean
}

/** One thing that stands between the change and shipping (with `explain`). */
export interface ShipStep {
  step: 'resolve' | 'approval' | 'check' | 'window'
  /** The step for a reader: `get 1 more approval from cab (have ana; bob is the requester)`. */
  text: string
  rule?: string
  group?: string
  /** How many more approvals. */
  missing?: number
  /** The next window for the whole change. */
  window?: Stretch
}

/** A decision as a plain object: the same object as `shipgate check --format json` prints. */
export interface DecisionObject {
  verdict: Verdict
  /** The change's id. */
  change: string
  /** The instant the decision was taken at, RFC 3339 UTC. */
  now: string
  tier: string
  reasons: Reason[]
  requirements: Requirement[]
  /** Approvals owed after the change and still missing; absent when nothing is owed. */
  obligations?: Obligation[]
  exemptions: Exemption[]
  waivers: WaiverOutcome[]
  schedule: Schedule
  /** Only with `options.scheduled`: the conflicting scheduled runs. */
  conflicts?: Conflict[]
  strategy: string | null
  rollback: RollbackTrigger[]
  notify: string[]
  order: string[][]
  trace: TraceEntry[]
  /** Only with `explain`: what stands between the change and shipping. */
  to_ship?: ShipStep[]
  /** `sha256:<hex>` over the policy set's files, computed once per compiled engine. */
  policy: string
  /** `sha256:<hex>` over the RFC 8785 canonical JSON of `{catalog, change}` as given. */
  inputs: string
  /** `shipgate <version>`. */
  engine: string
}

/**
 * The engine's answer for one change, as `evaluate` and the other evaluate calls return it.
 * Each getter gives the part of the same name of `DecisionObject`, built the first time it is
 * read and then kept (a second read gives the same object; treat parts as read-only).
 *
 * A `Decision` has no own properties: `Object.keys(d)` is `[]`, `{...d}` and `structuredClone(d)`
 * (so `postMessage(d)`) give `{}`, and `assert.deepStrictEqual` sees any two decisions as equal.
 * Use `d.toObject()` for a plain object to spread, clone, send or compare. `JSON.stringify(d)`
 * gives the full JSON (through `toJSON`), and `console.log(d)` shows the whole decision.
 */
export declare class Decision {
  private constructor()
  /** `allow`, `pending` (approvals or checks missing) or `deny`. */
  get verdict(): Verdict
  /** The change's id. */
  get change(): string
  /** The instant the decision was taken at, RFC 3339 UTC. */
  get now(): string
  /** The change's tier. */
  get tier(): string
  /** The rules that denied (`schedule` for a start that is not allowed). */
  get reasons(): Reason[]
  /** Approvals and checks asked for, with who counted. */
  get requirements(): Requirement[]
  /** Approvals owed after the change and still missing; empty when nothing is owed. */
  get obligations(): Obligation[]
  /** What was lifted, and by which rule or waiver. */
  get exemptions(): Exemption[]
  /** The waivers found on the change, honoured or not. */
  get waivers(): WaiverOutcome[]
  /** The requested stretch and, per region, whether it is open. */
  get schedule(): Schedule
  /** With `options.scheduled`: the conflicting scheduled runs, by start then id; else `null`. */
  get conflicts(): Conflict[] | null
  /** The rollout strategy, or `null`. */
  get strategy(): string | null
  /** The rollback triggers that apply. */
  get rollback(): RollbackTrigger[]
  /** Who to notify. */
  get notify(): string[]
  /** The touched services in waves, dependencies first. */
  get order(): string[][]
  /** With `explain`: every tier, rule and strategy arm evaluated; otherwise empty. */
  get trace(): TraceEntry[]
  /** With `explain`: what stands between the change and shipping, in order; otherwise `null`. */
  get to_ship(): ShipStep[] | null
  /** `sha256:<hex>` over the policy set's files (relative paths and bytes). */
  get policy(): string
  /** `sha256:<hex>` over the RFC 8785 canonical JSON of `{catalog, change}` as given. */
  get inputs(): string
  /** `shipgate <version>`: the engine that decided. */
  get engine(): string
  /** The whole decision as a new plain object (mutating it does not change the decision). */
  toObject(): DecisionObject
  /** `JSON.stringify(decision)` writes the plain object. */
  toJSON(): DecisionObject
  /** The JSON text exactly as `shipgate check --format json` prints it (two-space indent). */
  toJSONText(): string
}

/**
 * A compile warning (the Python binding's `Engine.warnings` has the same dicts). `file`,
 * `line` and `column` (1-based) say where it points; they are `null` while the engine does not
 * report a warning's place.
 */
export interface Warning {
  message: string
  severity: 'warning' | 'error'
  file: string | null
  line: number | null
  column: number | null
}

/** `err.code` of every error this package throws or rejects with. */
export type ErrorCode = 'POLICY_ERROR' | 'INPUT_ERROR' | 'INTERNAL_ERROR'

/**
 * The shape of the `Error`s thrown (and the rejections of the async calls). They are plain
 * `Error` instances with these extra fields, every one always present (`null` where it does
 * not apply), with the same names and meanings as the Python binding's exception attributes:
 * - `POLICY_ERROR`: the policy set does not compile, or cannot be read. `file` (and `path`,
 *   the same), `line`, `column` point at the first error (1-based; `line` and `column` are null
 *   for a file or folder that cannot be read); `diagnostics` has every diagnostic rendered
 *   rustc-style. `message` is `file:line:col: what is wrong`.
 * - `INPUT_ERROR`: a change, catalog, option or argument is malformed (or its file cannot be
 *   read); `path` is its JSON path (`change.approvals[2].at`, `changes[4].start`,
 *   `options.now`, `catalog`). `message` is `path: what is wrong`.
 * - `INTERNAL_ERROR`: a bug in shipgate (a caught panic); the process keeps running.
 * `index` is set by `evaluateMany` to the position of the change that failed.
 */
export interface ShipgateError extends Error {
  code: ErrorCode
  path: string | null
  file: string | null
  line: number | null
  column: number | null
  diagnostics: string | null
  index: number | null
}

/**
 * Limits of compiling a policy and of its decisions (docs/security.md): each a whole number
 * from 1 to its ceiling; a value out of range throws an `INPUT_ERROR` at `options.<name>`.
 */
export interface EngineLimits {
  /** The largest policy file, in bytes (default 4 MiB). */
  maxPolicyFileBytes?: number
  /** The most policy text of a policy set, all its files together, in bytes (default 16 MiB). */
  maxPolicyBytes?: number
  /** The most start times one recurrence rule may give in a year (default 10,000). */
  maxRruleStartsPerRule?: number
  /** The most start times all the recurrence rules may give in a year together (default 100,000). */
  maxRruleStartsPerPolicy?: number
  /** The evaluation budget of each decision, in steps (default 10,000,000). */
  maxEvalSteps?: number
}

/** The limit of reading an input file (docs/security.md). */
export interface InputLimits {
  /** The largest file read, in bytes (default 16 MiB). */
  maxInputBytes?: number
}

/** Options of `plan`. Any other key is an `INPUT_ERROR`. */
export interface PlanOptions {
  /** No change starts before it; also the decisions' `now`. Default: the current time. */
  from?: Time
  /**
   * An earlier plan (the object `plan` returned, or the JSON of `shipgate plan --format json`):
   * the result then says what changed since (`shipgate plan --previous`, docs/planning.md).
   */
  previous?: Plan | Record<string, unknown>
}

/**
 * One planned run: a whole change, or one region of a `per_region` rollout (then `region` is
 * set and `regions` absent). Instants are RFC 3339 UTC.
 */
export interface PlannedChange {
  id: string
  region?: string
  start: string
  end: string
  /** Its depth in the train's order: 0 when it follows no change of the train. */
  wave: number
  regions?: string[]
  services: string[]
  /** Whom to tell about this run: its decision's `notify` audiences. */
  notify: string[]
}

/** A change the planner could not place, and why. */
export interface UnschedulableChange {
  id: string
  reason: string
  /** Whom to tell about it: its decision's `notify` audiences. */
  notify: string[]
}

/** A start and an end, RFC 3339 UTC. */
export interface PlannedSpan {
  start: string
  end: string
}

/** What changed since the earlier plan given as `options.previous` (docs/planning.md). */
export interface ReplanKeys {
  /** Runs planned in both whose start or end differs, in the new plan's order. */
  moved: { id: string; region?: string; from: PlannedSpan; to: PlannedSpan; notify: string[] }[]
  /** Changes no longer in the train (by id), then runs dropped from a change still planned. */
  cancelled: { id: string; region?: string; notify: string[] }[]
  /** Changes unschedulable now that were planned before or not in the earlier plan, by id. */
  newly_unschedulable: { id: string; reason: string; notify: string[] }[]
  /** Runs planned now that the earlier plan did not have, in the new plan's order. */
  newly_planned: { id: string; region?: string; to: PlannedSpan; notify: string[] }[]
  /** An earlier entry without `notify` (an older plan), told to the unconditional audiences. */
  warnings: string[]
}

/** A planned release train: the JSON of `shipgate plan --format json`, as plain objects. */
export interface Plan {
  /** In start order, ties by id (the regions of one rollout in their order). */
  changes: PlannedChange[]
  /** By id. */
  unschedulable: UnschedulableChange[]
  /** With `options.previous` only (all of them then). */
  moved?: ReplanKeys['moved']
  cancelled?: ReplanKeys['cancelled']
  newly_unschedulable?: ReplanKeys['newly_unschedulable']
  newly_planned?: ReplanKeys['newly_planned']
  warnings?: string[]
}

/** What `AuditLog.append` did. */
export interface Appended {
  first_seq: number
  last_seq: number
  /** The chain's new head, `sha256:<hex>`. */
  hash: string
  /** A torn last line removed before appending (an interrupted writer's). */
  warnings: string[]
}

/** The first bad record of an archive. */
export interface Tamper {
  seq: number
  /** For a file: its 1-based line. */
  line: number | null
  kind: 'torn' | 'malformed' | 'edited' | 'sequence' | 'link'
  message: string
}

/** What `AuditLog.verify` found. */
export interface VerifyReport {
  intact: boolean
  /** Records intact before the first problem (all of them when intact). */
  records: number
  head: string | null
  problem: Tamper | null
}

/** One archived record, `{seq, at, decision, prev, hash}`. */
export interface AuditRecord {
  seq: number
  /** RFC 3339 UTC: when it was appended. */
  at: string
  /** The decision's JSON, as `shipgate check --format json` prints it. */
  decision: DecisionObject
  prev: string | null
  hash: string
}

/** Which records `AuditLog.records` returns: appended in `[from, to)` (by `at`), of `change`. */
export interface RecordFilter {
  from?: Time
  to?: Time
  change?: string
}

/** An obligation of a change's latest archived decision. */
export interface OpenObligation {
  change: string
  rule: string
  group: string
  needed: number
  /** RFC 3339 UTC. */
  due: string
  /** The record that lists it. */
  seq: number
}

/** `AuditLog.obligations`: overdue when `due <= now`. */
export interface ObligationReport {
  now: string
  overdue: OpenObligation[]
  open: OpenObligation[]
}

/**
 * A decision archive (docs/governance.md): a file of JSON lines, or a `postgres://` URL.
 * Appends from many handles or processes make one hash chain. An archive that cannot be
 * opened, read or appended to throws an `Error` with `code` `AUDIT_ERROR`.
 */
export declare class AuditLog {
  /** Opens the archive, creating the file or the table when absent. */
  constructor(target: string)
  /** The target, a URL's password hidden. */
  get target(): string
  /** Appends a decision; `at` (default: the current time) is the record's `at`. */
  append(decision: Decision, at?: Time): Appended
  /** Checks every record's hash, `seq` and `prev`; tampering is reported, not thrown. */
  verify(): VerifyReport
  /** The records the filter keeps; an archive that is not intact throws. */
  records(filter?: RecordFilter): AuditRecord[]
  /** The obligations of each change's latest decision at `now` (default: the current time). */
  obligations(now?: Time): ObligationReport
}

/** A compiled policy set. Compile once, evaluate many times; safe to share. */
export declare class Engine {
  private constructor()
  /** Compiles every `.gate` file in a folder (recursively, sorted by path), one file, or a list. */
  static fromPath(path: string | readonly string[], options?: EngineLimits): Engine
  /** Compiles policy text; `name` (default `"inline.gate"`) is what locations call the file. */
  static fromSource(text: string, name?: string, options?: EngineLimits): Engine
  /** The names of the policy set's regions, in declaration order. */
  get regions(): string[]
  /** The policy set's digest, `sha256:<hex>`: the `policy` of every decision it makes. */
  get policyDigest(): string
  /**
   * The IANA time zone a region's times are read in (`"Europe/Berlin"`): of the calendars it
   * uses, the first with a `window`, else the first; `null` for an unknown region or one that
   * uses no calendar.
   */
  regionTimezone(region: string): string | null
  /**
   * The calendar of one region or service over `[options.from, options.to)` (at most three
   * years; a service needs `options.catalog`): the object of `shipgate calendar --format json`
   * with the scope, its time zone, and each local day of the range with its UTC offsets (so a
   * month view can mark DST days). Bad input throws an `INPUT_ERROR` at its path.
   */
  calendar(scope: CalendarScope, options: CalendarOptions): ScopeCalendar
  /** `calendar` as an RFC 5545 iCalendar document (`shipgate calendar --format ics`). */
  calendarIcs(scope: CalendarScope, options: CalendarOptions): string
  /** Compile warnings as objects; empty when there are none. */
  get warnings(): Warning[]
  /** Compile warnings rendered rustc-style; empty when there are none. */
  renderWarnings(): string
  /** Decides one change. A plain `catalog` object is compiled for this call only. */
  evaluate(change: ChangeInput | Change, catalog: Catalog | CatalogInput, options?: EvaluateOptions): Decision
  /** `evaluate` off the main thread (libuv pool); arguments are read before it returns. */
  evaluateAsync(change: ChangeInput | Change, catalog: Catalog | CatalogInput, options?: EvaluateOptions): Promise<Decision>
  /**
   * Decides many changes in parallel on all cores (the calling thread waits); decisions are in
   * input order. The first change that fails throws, with `index` set.
   */
  evaluateMany(changes: ReadonlyArray<ChangeInput | Change>, catalog: Catalog | CatalogInput, options?: EvaluateManyOptions): Decision[]
  /** `evaluateMany` off the main thread. */
  evaluateManyAsync(changes: ReadonlyArray<ChangeInput | Change>, catalog: Catalog | CatalogInput, options?: EvaluateManyOptions): Promise<Decision[]>
  /**
   * The first stretch in `region` at or after `after` with room for `duration`: its start and
   * the stretch's end, RFC 3339 UTC; `null` when there is none within the horizon.
   */
  nextWindow(region: string, after: Time, duration: Duration): Stretch | null
  /**
   * Replays the historical changes of the file `changes` (JSON lines of `{"change": {...},
   * "now": T}`) under this policy and `newer`, on all cores (the calling thread waits): the
   * changes `newer` decides differently. A bad line throws an `INPUT_ERROR` naming it.
   */
  replay(newer: Engine, catalog: Catalog | CatalogInput, changes: string): Replay
  /**
   * The earliest stretch at or after `after` where the whole change (its `duration`) fits
   * every calendar that applies to it at once: all its regions' calendars, each in its own
   * time zone. `start` is where it may start, `end` where that common stretch closes; `null`
   * when there is none within the horizon (365 days). The calendars as declared (a decision's
   * `schedule.next_window` also counts its exemptions). The change is checked as `evaluate`
   * checks it: an unknown region throws an `INPUT_ERROR`.
   */
  changeNextWindow(change: ChangeInput | Change, catalog: Catalog | CatalogInput, after: Time): Stretch | null
  /**
   * Checks the rollback triggers that apply to the change (those its decision at `now` lists)
   * against `observations` (docs/rollback.md): each is `fired`, `ok` or `no_data`, and
   * `rollback` says whether to roll back. A trigger relative to a baseline whose metric has
   * none, or samples out of order, are `INPUT_ERROR`s at their path
   * (`observations.metrics.error_rate[3][0]`).
   */
  rollback(change: ChangeInput | Change, catalog: Catalog | CatalogInput, observations: ObservationsInput, options?: RollbackOptions): RollbackCheck
  /**
   * Plans a release train (docs/planning.md): orders the changes, and gives each the earliest
   * start its decision does not deny, or lists it as unschedulable with the reason. Errors
   * (a change that cannot be read, a cycle, an unknown `after`, a duplicate id) are
   * `INPUT_ERROR`s with the path under `changes[i]`.
   */
  plan(changes: ReadonlyArray<ChangeInput | Change>, catalog: Catalog | CatalogInput, options?: PlanOptions): Plan
}

/** A service catalog, compiled once (with its dependency graph) and reused by every call. */
export declare class Catalog {
  constructor(catalog: CatalogInput)
  /** Reads a catalog file, JSON or YAML by extension, as the CLI does. */
  static fromPath(path: string, options?: InputLimits): Catalog
  /** The number of services. */
  get size(): number
}

/** A change request read once; pass it instead of a plain object to skip re-reading it. */
export declare class Change {
  constructor(change: ChangeInput)
  /** Reads a change file, JSON or YAML by extension, as the CLI does. */
  static fromPath(path: string, options?: InputLimits): Change
  /** The change's id. */
  get id(): string
}

/** Figures of `metrics`: `null` where there is nothing to measure (docs/metrics.md). */
export interface MetricsFigures {
  deployments: number
  per_day: number | null
  lead_time_median_s: number | null
  lead_time_p90_s: number | null
  change_failure_rate: number | null
  time_to_restore_median_s: number | null
}

/** The object of `shipgate metrics --format json`. */
export interface Metrics extends MetricsFigures {
  from: string | null
  to: string | null
  groups: Array<MetricsFigures & { key: string | null }>
}

/** Options of `metrics`. */
export interface MetricsOptions {
  /** The period's start, included (default: the earliest deployment). */
  from?: Time
  /** The period's end, excluded (default: the latest deployment, included). */
  to?: Time
  /** Figures per service or per team as well. */
  by?: 'service' | 'team'
  /** The history's format (default: `.csv` is CSV, anything else JSON lines). */
  format?: 'jsonl' | 'csv'
}

/** What `engine.calendar` shows: one region, or one service. */
export type CalendarScope = { region: string } | { service: string }

/** Options of `engine.calendar` and `engine.calendarIcs`. */
export interface CalendarOptions {
  from: Time
  to: Time
  /** Needed for a service's calendar; refused (an `INPUT_ERROR`) for a region's. */
  catalog?: Catalog | CatalogInput
}

/** One local day of a time zone, as its offset begins and ends it. */
export interface LocalDay {
  /** `2026-10-25` */
  date: string
  /** `+02:00` */
  utc_offset_start: string
  /** `+01:00` */
  utc_offset_end: string
  /** The offsets differ: a daylight-saving switch (or a change of standard time). */
  dst_change: boolean
}

/** The object of `engine.calendar`. */
export interface ScopeCalendar {
  scope: CalendarScope
  /** For a region's calendar. */
  region?: string
  /** For a service's calendar: its id, regions and every calendar that applies to it. */
  service?: string
  regions?: string[]
  calendars?: string[]
  /** The IANA zone the scope is read in; `UTC` when no calendar applies. */
  timezone: string
  timezone_db: string
  open: Stretch[]
  blackouts: Array<{ name: string; start: string; end: string }>
  days: LocalDay[]
}

/** The catalog's graph in waves (`shipgate graph --format json`). */
export interface Drawing {
  services: string[]
  tiers: Record<string, number>
  /** `[from, to]`: `from` depends on `to`. */
  edges: Array<[string, string]>
  waves: string[][]
  cycles: string[][]
}

/** Options of `drawGraph`. */
export interface DrawGraphOptions {
  /** `json` (the default): a `Drawing`; `dot` or `mermaid`: text. */
  format?: 'json' | 'dot' | 'mermaid'
}

/** A reason as `replay` compares it. */
export interface ReplayReason {
  rule: string
  message: string
}

/** The object of `shipgate replay --format json`. */
export interface Replay {
  total: number
  changed: Array<{
    change: string
    old: Verdict
    new: Verdict
    reasons_added: ReplayReason[]
    reasons_removed: ReplayReason[]
  }>
}

/**
 * The delivery metrics of a deployment history file (JSON lines or CSV): deployments, lead
 * time, change failure rate, time to restore, overall and by service or team. A bad record
 * throws an `INPUT_ERROR` naming its line and field.
 */
export declare function metrics(history: string, options?: MetricsOptions): Metrics

/** The delivery metrics as an SVG chart of the four measures week by week; options as `metrics`. */
export declare function metricsSvg(history: string, options?: MetricsOptions): string

/**
 * The catalog's dependency graph in waves (`shipgate graph`): a `Drawing`, or DOT or Mermaid
 * text. A cycle is drawn (in `cycles`), not refused; an unknown dependency throws.
 */
export declare function drawGraph(catalog: CatalogInput, options?: DrawGraphOptions): Drawing | string

/**
 * A JSON or YAML file (by extension) read as the engine reads its inputs: the size and nesting
 * limits, a key given twice refused. Throws an `INPUT_ERROR` naming what is wrong.
 */
export declare function readDocument(path: string, options?: InputLimits): unknown
