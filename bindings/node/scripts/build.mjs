// Builds the native addon with cargo and copies it next to index.js as `shipgate.node`.
//
//   node scripts/build.mjs            debug build: `cargo build --workspace`, which also builds
//                                     the `shipgate` CLI the parity test runs, and reuses what
//                                     `cargo test --workspace` already compiled
//   node scripts/build.mjs --release  optimised build of the addon only (for use and benchmarks)
import { execFileSync } from 'node:child_process'
import { copyFileSync, existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const pkg = join(here, '..')
const release = process.argv.includes('--release')

const cargo = process.env.CARGO || 'cargo'
const args = release
  ? ['build', '--release', '-p', 'shipgate-node']
  : ['build', '--workspace']
execFileSync(cargo, args, { cwd: pkg, stdio: 'inherit' })

const metadata = JSON.parse(
  execFileSync(cargo, ['metadata', '--format-version', '1', '--no-deps'], {
    cwd: pkg,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  }),
)
const profileDir = join(metadata.target_directory, release ? 'release' : 'debug')
const names = {
  linux: 'libshipgate_node.so',
  darwin: 'libshipgate_node.dylib',
  win32: 'shipgate_node.dll',
}
const built = join(profileDir, names[process.platform] ?? 'libshipgate_node.so')
if (!existsSync(built)) {
  throw new Error(`cargo finished but ${built} is missing`)
}
copyFileSync(built, join(pkg, 'shipgate.node'))
console.log(`shipgate.node <- ${built}`)
