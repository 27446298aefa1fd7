// The portal's HTTP server (portal/API.md): the pages of portal/public as static files, and a
// JSON API that converts each request, asks the Node binding, and converts the answer. No
// rule, calendar or chart is computed here: the binding (and the engine under it) does it.
import { existsSync } from 'node:fs'
import { join } from 'node:path'

import fastifyStatic from '@fastify/static'
import Fastify from 'fastify'

import { repoRoot } from './config.mjs'
import { answer, badRequest, notFound, rename } from './errors.mjs'
import { drawGraph, metrics, metricsSvg } from './shipgate.mjs'
import { formatInstant, loadState } from './state.mjs'

/** The largest request body accepted (413 TOO_LARGE above it). */
export const BODY_LIMIT = 1024 * 1024
/** The most changes one plan request may hold: planning is bounded per request. */
export const MAX_TRAIN = 100

const publicDir = join(repoRoot, 'portal', 'public')

// --- request schemas: unknown keys and wrong types are refused (400 BAD_REQUEST) -----------

const text = { type: 'string', minLength: 1, maxLength: 200 }
const instant = { type: 'string', minLength: 1, maxLength: 64 }
const query = (properties, required = []) => ({
  type: 'object',
  additionalProperties: false,
  required,
  properties,
})

const schemas = {
  check: {
    body: {
      type: 'object',
      additionalProperties: false,
      required: ['change'],
      properties: {
        change: { type: 'object' },
        now: instant,
        explain: { type: 'boolean' },
        record: { type: 'boolean' },
      },
    },
  },
  calendar: {
    querystring: query(
      { region: text, service: text, from: instant, to: instant, format: { enum: ['json', 'ics'] } },
      ['from', 'to'],
    ),
  },
  plan: {
    body: {
      type: 'object',
      additionalProperties: false,
      required: ['start'],
      properties: {
        changes: { type: 'array', maxItems: MAX_TRAIN },
        start: instant,
        previous: { type: 'object' },
      },
    },
  },
  graph: { querystring: query({ format: { enum: ['json', 'dot', 'mermaid'] } }) },
  archive: { querystring: query({ change: text, from: instant, to: instant }) },
  metrics: { querystring: query({ by: { enum: ['service', 'team'] }, from: instant, to: instant }) },
  none: { querystring: query({}) },
  example: {
    querystring: query({}),
    params: { type: 'object', properties: { id: { type: 'string', maxLength: 200 } } },
  },
}

/** Calls the binding; its error paths are renamed to the request's (see `rename`). */
function asking(names, call) {
  try {
    return call()
  } catch (err) {
    if (err && typeof err.path === 'string') err.path = rename(err.path, names)
    throw err
  }
}

async function askingAsync(names, call) {
  try {
    return await call()
  } catch (err) {
    if (err && typeof err.path === 'string') err.path = rename(err.path, names)
    throw err
  }
}

/** `explain: true`: the steps left to ship the change, as the engine words them. */
function explanation(decision) {
  const steps = decision.to_ship ?? []
  if (steps.length === 0) return 'To ship this change: nothing more, it may ship as asked.'
  return ['To ship this change:', ...steps.map((s) => `- ${s.text}`)].join('\n')
}

/**
 * The portal as a Fastify instance, not listening (`app.inject` it, or `app.listen`).
 * Options: `policy`, `catalog`, `changes`, `train`, `history`, `archive` (paths; relative ones
 * under the repository root; defaults: the example set, and a scratch copy of the example
 * archive), `now` (a fixed RFC 3339 "now"), `checkAsync` (decide checks on the libuv pool with
 * `evaluateAsync`; default false, see portal/README.md), `logger` (Fastify's; default off).
 * A configuration that does not load throws a ConfigError.
 */
export function buildServer(options = {}) {
  const state = loadState(options)
  const checkAsync = options.checkAsync === true
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: BODY_LIMIT,
    // Ajv as a contract checker: no key is silently dropped and no type silently coerced.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: false } },
  })
  app.addHook('onClose', async () => state.close())

  app.setErrorHandler((err, request, reply) => {
    const [status, body] = answer(err)
    if (status >= 500) request.log.error({ err }, 'request failed')
    reply.code(status).type('application/json; charset=utf-8').send(body)
  })
  app.setNotFoundHandler((request, reply) => {
    const [status, body] = answer(notFound(`no such page or endpoint: ${request.method} ${request.url.split('?')[0]}`))
    reply.code(status).send(body)
  })

  if (existsSync(publicDir)) {
    app.register(fastifyStatic, { root: publicDir, prefix: '/' })
  }

  const now = () => state.now ?? formatInstant(new Date())

  app.get('/api/health', { schema: schemas.none }, async () => ({
    ok: true,
    policy: { digest: state.engine.policyDigest },
  }))

  const meta = () => ({
    regions: state.engine.regions.map((id) => ({ id, timezone: state.engine.regionTimezone(id) })),
    services: (state.catalogObject.services ?? []).map((s) => ({
      id: s.id,
      team: s.team ?? null,
      tier: s.tier,
      regions: s.regions ?? [],
    })),
    examples: [...state.examples.values()].map(({ id, title, file }) => ({ id, title, file })),
  })
  const fixedMeta = meta()
  app.get('/api/meta', { schema: schemas.none }, async () => ({ ...fixedMeta, now: now() }))

  app.get('/api/examples/:id', { schema: schemas.example }, async (request) => {
    const example = state.examples.get(request.params.id)
    if (example === undefined) {
      const known = [...state.examples.keys()].join(', ')
      throw notFound(`no example change ${JSON.stringify(request.params.id)} (there are: ${known})`, 'id')
    }
    return example.change
  })

  const checkNames = { 'options.now': 'now', options: 'options' }
  app.post('/api/check', { schema: schemas.check }, async (request) => {
    const { change, explain = false, record = false } = request.body
    const opts = { now: request.body.now ?? now(), explain }
    const decision = checkAsync
      ? await askingAsync(checkNames, () => state.engine.evaluateAsync(change, state.catalog, opts))
      : asking(checkNames, () => state.engine.evaluate(change, state.catalog, opts))
    const out = { decision: decision.toObject() }
    if (explain) out.explain = explanation(out.decision)
    if (record) {
      const appended = state.archive.append(decision)
      out.recorded = { seq: appended.last_seq, hash: appended.hash }
    }
    return out
  })

  const calendarNames = {
    'options.from': 'from',
    'options.to': 'to',
    'scope.region': 'region',
    'scope.service': 'service',
  }
  app.get('/api/calendar', { schema: schemas.calendar }, async (request, reply) => {
    const { region, service, from, to, format = 'json' } = request.query
    if ((region === undefined) === (service === undefined)) {
      throw badRequest('give exactly one of the query parameters region and service', region === undefined ? 'region' : 'service')
    }
    const scope = region !== undefined ? { region } : { service }
    const opts = region !== undefined ? { from, to } : { from, to, catalog: state.catalog }
    if (format === 'ics') {
      const ics = asking(calendarNames, () => state.engine.calendarIcs(scope, opts))
      reply.type('text/calendar; charset=utf-8')
      reply.header('content-disposition', `attachment; filename="${(region ?? service).replace(/[^\w.-]/g, '_')}.ics"`)
      return ics
    }
    return asking(calendarNames, () => state.engine.calendar(scope, opts))
  })

  app.get('/api/train', { schema: schemas.none }, async () => ({ changes: state.train }))

  const planNames = { 'options.from': 'start', 'options.previous': 'previous' }
  app.post('/api/plan', { schema: schemas.plan }, async (request) => {
    const { changes = state.train, start, previous } = request.body
    return asking(planNames, () =>
      state.engine.plan(changes, state.catalog, previous === undefined ? { from: start } : { from: start, previous }),
    )
  })

  const drawings = {
    json: drawGraph(state.catalogObject, { format: 'json' }),
    dot: drawGraph(state.catalogObject, { format: 'dot' }),
    mermaid: drawGraph(state.catalogObject, { format: 'mermaid' }),
  }
  app.get('/api/graph', { schema: schemas.graph }, async (request, reply) => {
    const format = request.query.format ?? 'json'
    if (format !== 'json') reply.type('text/plain; charset=utf-8')
    return drawings[format]
  })

  const archiveNames = { 'options.from': 'from', 'options.to': 'to', 'options.change': 'change' }
  app.get('/api/archive', { schema: schemas.archive }, async (request) => {
    const { change, from, to } = request.query
    const report = state.archive.verify()
    const verify = {
      ok: report.intact,
      records: report.records,
      head: report.head,
      problems: report.problem ? [report.problem] : [],
    }
    const filter = {}
    if (change !== undefined) filter.change = change
    if (from !== undefined) filter.from = from
    if (to !== undefined) filter.to = to
    // An archive that is not intact has no records to trust: the verification says why.
    const records = report.intact ? asking(archiveNames, () => state.archive.records(filter)) : []
    return {
      verify,
      records: records.map((r) => ({
        seq: r.seq,
        at: r.at,
        change: r.decision.change,
        verdict: r.decision.verdict,
        hash: r.hash,
      })),
    }
  })

  const metricsNames = { 'options.from': 'from', 'options.to': 'to', 'options.by': 'by' }
  const metricsOptions = ({ by, from, to }) => ({ by, from, to })
  app.get('/api/metrics', { schema: schemas.metrics }, async (request) =>
    asking(metricsNames, () => metrics(state.paths.history, metricsOptions(request.query))),
  )
  app.get('/api/metrics.svg', { schema: schemas.metrics }, async (request, reply) => {
    const svg = asking(metricsNames, () => metricsSvg(state.paths.history, metricsOptions(request.query)))
    reply.type('image/svg+xml; charset=utf-8')
    return svg
  })

  return app
}
