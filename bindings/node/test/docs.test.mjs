// The examples in the docs run: every ```js block of docs/node.md, docs/planning.md and
// bindings/node/README.md is run as an ES module from the repository root; a ```text block
// right after it is its output.
// The TypeScript example is transpiled and run the same way.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, test } from 'node:test'

import ts from 'typescript'

import { pkgDir, repoRoot } from './support.mjs'

// Inside the package, so that `import ... from 'shipgate'` resolves to it.
const scratch = join(pkgDir, '.doc-examples')
mkdirSync(scratch, { recursive: true })

/** The fenced blocks of a Markdown file, in order: `{lang, code}`. */
function blocks(markdown) {
  const out = []
  const fence = /^```(\w*)\n([\s\S]*?)^```$/gm
  for (const m of markdown.matchAll(fence)) out.push({ lang: m[1], code: m[2] })
  return out
}

function run(file) {
  const result = spawnSync(process.execPath, [file], { cwd: repoRoot, encoding: 'utf8' })
  assert.equal(result.status, 0, `${file} failed:\n${result.stderr}`)
  return result.stdout
}

for (const doc of ['docs/node.md', 'docs/planning.md', 'bindings/node/README.md']) {
  describe(doc, () => {
    const list = blocks(readFileSync(join(repoRoot, doc), 'utf8'))
    const runnable = list.filter((b) => b.lang === 'js')
    test('has a runnable example', () => assert.ok(runnable.length > 0))
    list.forEach((block, i) => {
      if (block.lang !== 'js') return
      test(`example ${i + 1} runs`, () => {
        const file = join(scratch, `${doc.replaceAll('/', '_')}-${i + 1}.mjs`)
        writeFileSync(file, block.code)
        const stdout = run(file)
        const next = list[i + 1]
        if (next && next.lang === 'text') assert.equal(stdout.trimEnd(), next.code.trimEnd())
      })
    })
  })
}

test('examples/check-change.ts runs', () => {
  const source = readFileSync(join(pkgDir, 'examples', 'check-change.ts'), 'utf8')
  const { outputText } = ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
  })
  const file = join(scratch, 'check-change.mjs')
  writeFileSync(file, outputText)
  const stdout = run(file)
  assert.match(stdout, /CHG-2001 CHG-1043/)
  assert.match(stdout, /^ALLOW \(tier low/m)
})
