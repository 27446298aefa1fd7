// Uses every export of the `shipgate` package with its declared types. CI checks it with
// `tsc --noEmit --strict` (npm run typecheck); it is also a tour of the API.
import { Catalog, Change, Engine } from 'shipgate'
import type {
  CatalogInput,
  ChangeInput,
  Decision,
  EvaluateOptions,
  ShipgateError,
  Stretch,
  Verdict,
} from 'shipgate'

const catalogInput: CatalogInput = {
  services: [
    { id: 'ledger-db', team: 'core', tier: 0, regions: ['eu-west'], stateful: true, pci: true },
    { id: 'payments-api', team: 'payments', tier: 1, depends_on: ['ledger-db'], regions: ['eu-west'] },
  ],
}

const changeInput: ChangeInput = {
  id: 'CHG-2001',
  title: 'Payments API: retry budget',
  kind: ['application'],
  services: ['payments-api'],
  requester: 'ana',
  implementer: 'bob',
  approvals: [{ by: 'carol', group: 'team-lead', at: new Date('2026-11-30T12:00:00Z') }],
  start: new Date('2026-12-01T10:00:00Z'),
  duration: '2h',
  ticket: 'PAY-1200', // an `extend change` field
}

function describe(decision: Decision): string {
  const verdict: Verdict = decision.verdict
  const blocked = decision.schedule.regions.flatMap((r) => r.blocked_by)
  const missing = decision.requirements.filter((r) => !r.satisfied).map((r) => r.group ?? r.check)
  const next: Stretch | null = decision.schedule.regions[0]?.next_window ?? null
  return [
    `${verdict.toUpperCase()} (tier ${decision.tier}, strategy ${decision.strategy ?? 'none'})`,
    ...decision.reasons.map((r) => `  x ${r.rule}: ${r.message} (${r.at})`),
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
  const engine: Engine = Engine.fromSource(
    `tiers low, high
rule two_eyes { deny when change.requester == change.implementer }`,
    'inline.gate',
  )
  const fromFolder: Engine = Engine.fromPath(['policies/payments'])
  console.log(fromFolder.regions.join(', '), engine.renderWarnings())

  const catalog = new Catalog(catalogInput)
  const fileCatalog: Catalog = Catalog.fromPath('policies/catalog.yaml')
  console.log(`${catalog.size} services, ${fileCatalog.size} in the file`)

  const prepared = new Change(changeInput)
  const fromFile: Change = Change.fromPath('policies/changes/chg-1043-ledger-migration.json')
  console.log(prepared.id, fromFile.id)

  const options: EvaluateOptions = { now: new Date('2026-12-01T09:00:00Z'), explain: true }
  console.log(describe(engine.evaluate(prepared, catalog, options)))
  console.log(describe(engine.evaluate(changeInput, catalogInput, { now: '2026-12-01T09:00:00Z' })))

  const decision: Decision = await engine.evaluateAsync(changeInput, catalog, options)
  console.log(decision.trace.map((t) => `${t.kind} ${t.name}: ${t.outcome}`).join('\n'))

  const batch: Decision[] = engine.evaluateMany([prepared, changeInput], catalog, { now: new Date() })
  const later: Decision[] = await engine.evaluateManyAsync([prepared], catalog)
  console.log(batch.length + later.length)

  const window: Stretch | null = engine.nextWindow('eu-west', new Date(), '2h')
  console.log(window ? `next window: ${window.start}` : 'no window within the horizon')

  try {
    Engine.fromSource('rule { }', 'broken.gate')
  } catch (e) {
    const err = e as ShipgateError
    if (err.code === 'POLICY_ERROR') console.error(`${err.path}:${err.line}:${err.column}\n${err.diagnostics}`)
    else if (err.code === 'INPUT_ERROR') console.error(`bad input at ${err.path}`)
    else throw err
  }
}

main().catch((err: unknown) => {
  console.error(err)
})
