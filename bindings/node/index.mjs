// ES module entry: the same classes as the CommonJS entry (one addon instance, shared).
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const shipgate = require('./index.js')

export const { AuditLog, Engine, Catalog, Change, Decision, drawGraph, metrics, metricsSvg, readDocument } =
  shipgate
export default shipgate
