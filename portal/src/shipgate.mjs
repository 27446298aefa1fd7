// The Node binding of shipgate, from this repository (build it first: `npm ci && npm run
// build:debug` in bindings/node). Every answer the portal gives comes from it.
export {
  AuditLog,
  Catalog,
  Change,
  Decision,
  Engine,
  drawGraph,
  metrics,
  metricsSvg,
  readDocument,
} from '../../bindings/node/index.mjs'
