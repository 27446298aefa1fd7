'use strict'
// Loads the native addon. `npm run build` (or `npm run build:debug`) compiles it with cargo and
// copies it here as `shipgate.node`; SHIPGATE_NODE_ADDON may name another build to load.
const { join } = require('node:path')

const addon = process.env.SHIPGATE_NODE_ADDON || join(__dirname, 'shipgate.node')

let native
try {
  native = require(addon)
} catch (err) {
  if (err && err.code === 'MODULE_NOT_FOUND') {
    throw new Error(
      `shipgate: the native addon is not built (looked for ${addon}); ` +
        'run `npm run build` in bindings/node (needs a Rust toolchain)',
      { cause: err },
    )
  }
  throw err
}

module.exports = {
  Engine: native.Engine,
  Catalog: native.Catalog,
  Change: native.Change,
}
