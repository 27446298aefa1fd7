// Uses every export of the `shipgate` package with its declared types: CI checks it with
// `tsc --noEmit --strict` (npm run typecheck), and test/docs.test.mjs runs it from the
// repository root.
import { Catalog, Change, Decision, Engine } from 'shipgate'
import type {
  CatalogInput,
  ChangeInput,
  DecisionObject,
  EvaluateOptions,
  ShipgateError,
  Stretch,
  Verdict,
} from 'shipgate'

const catalogInput: CatalogInput = {
  services: [
    { id: 'ledger-db', team: 'core', tier: 0, regions: ['eu-west'], stateful: true, pci: true },
    { id: 'checkout-web', team: 'web', tier: 2, depends_on: ['ledger-db'], regions: ['eu-west'], pci: false },
  ],
}

const changeInput: ChangeInput = {
  id: 'CHG-2001',
  title: 'Checkout: one-click payment button',
  ticket: 'PAY-1200', // an `extend change` field of the policy
  kind: ['application'],
  services: ['checkout-web'],
  regions: ['eu-west'],
  requester: 'ana',
  implementer: 'bob',
  approvals: [{ by: 'carol', group: 'team-lead', at: new Date('2026-11-30T15:00:00Z') }],
  start: new Date('2026-12-01T10:00:00Z'),
  duration: '1h',
}

function summary(decision: Decision): string {
  const verdict: Verdict = decision.verdict
  const blocked = decision.schedule.regions.flatMap((r) => r.blocked_by)
  const missing = decision.requirements.filter((r) => !r.satisfied).map((r) => r.group ?? r.check)
  const next: Stretch | null = decision.schedule.regions[0]?.next_window ?? null
  return [
    `${verdict.toUpperCase()} (tier ${decision.tier}, strategy ${decision.strategy ?? 'none'})`,
    ...decision.reasons.map((r) => `  x ${r.rule}: ${r.message}`),
    ...missing.map((m) => `  ? missing ${m}`),
    blocked.length > 0 ? `  blocked by ${blocked.join(', ')}` : '',
    next ? `  next window ${next.start} - ${next.end}` : '',
    `  waves: ${decision.order.map((w) => w.join(' + ')).join(' -> ')}`,
    `  rollback: ${decision.rollback.map((t) => `${t.metric} ${t.op} ${t.threshold} for ${t.for}`).join('; ')}`,
  ]
    .filter(Boolean)
    .join('\n')
}

async function main(): Promise<void> {
  // Compile once at start-up; share the engine and the catalog between requests.
  const engine: Engine = Engine.fromPath('policies/payments')
  const twoFiles: Engine = Engine.fromPath(['policies/payments/settings.gate', 'policies/payments/rules.gate'])
  const inline: Engine = Engine.fromSource('tiers low, high\nrule two_eyes { deny when change.requester == change.implementer }', 'inline.gate')
  console.log(engine.regions.join(', '), twoFiles.regions.length, inline.renderWarnings().length)
  for (const w of inline.warnings) console.log(`${w.severity}: ${w.message} (${w.file ?? '?'}:${w.line ?? '?'})`)

  const catalog = new Catalog(catalogInput)
  const fileCatalog: Catalog = Catalog.fromPath('policies/catalog.yaml')
  console.log(`${catalog.size} services, ${fileCatalog.size} in the file`)

  const prepared = new Change(changeInput)
  const fromFile: Change = Change.fromPath('policies/changes/chg-1043-ledger-migration.json')
  console.log(prepared.id, fromFile.id)

  const options: EvaluateOptions = { now: new Date('2026-12-01T09:00:00Z'), explain: true }
  console.log(summary(engine.evaluate(prepared, catalog, options)))
  console.log(summary(engine.evaluate(fromFile, fileCatalog, { now: '2026-12-18T09:00:00Z' })))

  const decision: Decision = await engine.evaluateAsync(changeInput, catalogInput, options)
  console.log(`${decision.trace.length} trace entries`)
  // A Decision builds its parts when read; toObject() is the plain object, to store or send.
  const plain: DecisionObject = decision.toObject()
  const text: string = decision.toJSONText()
  console.log(`${plain.verdict} ${decision instanceof Decision} ${JSON.parse(text).tier === plain.tier}`)

  const batch: Decision[] = engine.evaluateMany([prepared, changeInput], catalog, { now: options.now })
  const later: Decision[] = await engine.evaluateManyAsync([prepared], catalog)
  console.log(`${batch.length + later.length} decisions`)

  const window: Stretch | null = engine.nextWindow('eu-west', new Date('2026-12-04T11:30:00Z'), '2h')
  console.log(window ? `next 2h window in eu-west: ${window.start}` : 'no window within the horizon')

  try {
    Engine.fromSource('tiers low, high\nrule r { when tier >= hihg\n require check "x" }', 'broken.gate')
  } catch (e) {
    const err = e as ShipgateError
    if (err.code !== 'POLICY_ERROR') throw err
    console.log(`${err.code} at ${err.file}:${err.line}:${err.column}`)
  }
}

// A rejection is unhandled on purpose: it ends the process with a failure.
void main()
