// index.d.ts is hand-written: check it declares exactly the Rust `#[napi]` items of src/lib.rs
// (read from the source, so no build tool is needed) and exactly what the loaded package exports.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { test } from 'node:test'

import ts from 'typescript'

import { pkgDir } from './support.mjs'

/** `{Class: {statics, methods, getters, constructible}}` as declared in index.d.ts; with
 * `params`, also `{Class: {member: [[name, optional], ...]}}`. */
function declared(params = false) {
  const file = join(pkgDir, 'index.d.ts')
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true)
  const classes = {}
  for (const node of source.statements) {
    if (!ts.isClassDeclaration(node) || !node.name) continue
    const has = (n, kind) => (n.modifiers ?? []).some((m) => m.kind === kind)
    assert.ok(has(node, ts.SyntaxKind.ExportKeyword), `${node.name.text} is not exported`)
    const shape = { statics: [], methods: [], getters: [], constructible: false }
    const signatures = {}
    for (const member of node.members) {
      const name = member.name?.getText(source)
      if (member.parameters && !has(member, ts.SyntaxKind.PrivateKeyword)) {
        signatures[name ?? 'constructor'] = member.parameters.map((p) => [
          p.name.getText(source),
          Boolean(p.questionToken),
        ])
      }
      if (ts.isConstructorDeclaration(member)) {
        shape.constructible = !has(member, ts.SyntaxKind.PrivateKeyword)
      } else if (ts.isMethodDeclaration(member)) {
        ;(has(member, ts.SyntaxKind.StaticKeyword) ? shape.statics : shape.methods).push(name)
      } else if (ts.isGetAccessorDeclaration(member)) {
        shape.getters.push(name)
      } else {
        assert.fail(`unexpected member ${name ?? ts.SyntaxKind[member.kind]} of ${node.name.text}`)
      }
    }
    for (const list of [shape.statics, shape.methods, shape.getters]) list.sort()
    classes[node.name.text] = params ? signatures : shape
  }
  return classes
}

const camel = (name) => name.replace(/_([a-z])/g, (_, c) => c.toUpperCase())

/**
 * The `#[napi]` classes of src/lib.rs in the same two shapes: each `impl` block's `#[napi]`
 * functions, with `factory` as a static, `constructor`, `getter`, or a method; parameters are
 * those after `&self` and `env`, `Option<...>` ones optional.
 */
function rustItems() {
  // The classes live in lib.rs, and the audit archive's in audit.rs.
  const text = ['lib.rs', 'audit.rs'].map((f) => readFileSync(join(pkgDir, 'src', f), 'utf8')).join('\n')
  const shapes = {}
  const signatures = {}
  const impl = /^#\[napi\]\nimpl (\w+) \{\n([\s\S]*?)^\}/gm
  for (const [, cls, body] of text.matchAll(impl)) {
    const shape = { statics: [], methods: [], getters: [], constructible: false }
    const sigs = {}
    const item = /#\[napi(?:\(([^)]*)\))?\]\n(?:\s*#\[[\s\S]*?\]\n)*\s*pub fn (\w+)(?:<[^>]*>)?\(([\s\S]*?)\)\s*(?:->|\{)/g
    for (const [, attrs = '', fn, args] of body.matchAll(item)) {
      const name = camel(fn)
      const params = args
        .split(/,(?![^<]*>)/)
        .map((a) => a.trim())
        .filter((a) => a && !/^&(mut )?self/.test(a) && !/^env:/.test(a))
        .map((a) => {
          const [pname, type] = a.split(/:\s*/)
          return [camel(pname.replace(/^_/, '')), type.startsWith('Option<')]
        })
      if (/\bconstructor\b/.test(attrs)) {
        shape.constructible = true
        sigs.constructor = params
      } else if (/\bfactory\b/.test(attrs)) {
        shape.statics.push(name)
        sigs[name] = params
      } else if (/\bgetter\b/.test(attrs)) {
        shape.getters.push(name)
      } else {
        shape.methods.push(name)
        sigs[name] = params
      }
    }
    for (const list of [shape.statics, shape.methods, shape.getters]) list.sort()
    shapes[cls] = shape
    signatures[cls] = sigs
  }
  return { shapes, signatures }
}

test('index.d.ts declares each Rust #[napi] class with its members', () => {
  const { shapes } = rustItems()
  const dts = declared()
  assert.ok(Object.keys(shapes).length >= 3, 'no #[napi] class found in src/lib.rs')
  for (const [cls, shape] of Object.entries(shapes)) assert.deepEqual(dts[cls], shape, cls)
})

test('index.d.ts declares the parameters of each Rust #[napi] function', () => {
  const { signatures } = rustItems()
  const dts = declared(true)
  for (const [cls, members] of Object.entries(signatures)) {
    for (const [member, rust] of Object.entries(members)) {
      const ts = dts[cls][member]
      assert.ok(ts, `${cls}.${member} is not declared`)
      // index.js passes the evaluate methods extra trailing arguments (what it read of the
      // options): the declared parameters are the first ones, and the rest are optional.
      assert.deepEqual(rust.slice(0, ts.length), ts, `${cls}.${member}`)
      for (const [name, optional] of rust.slice(ts.length)) {
        assert.ok(optional, `${cls}.${member}: ${name} is not in index.d.ts`)
      }
    }
  }
})

/** The names of the functions index.d.ts declares at the top level (`metrics`). */
function declaredFunctions() {
  const file = join(pkgDir, 'index.d.ts')
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true)
  return source.statements
    .filter((node) => ts.isFunctionDeclaration(node) && node.name)
    .map((node) => node.name.text)
    .sort()
}

/** Exports named in lowerCamelCase are functions; classes are PascalCase. */
const isFunctionName = (name) => /^[a-z]/.test(name)

/** The same shape, read from the loaded package (its classes). */
function exported() {
  const pkg = createRequire(import.meta.url)('shipgate')
  const classes = {}
  for (const [name, cls] of Object.entries(pkg)) {
    if (isFunctionName(name)) continue
    assert.equal(typeof cls, 'function', `${name} is not a class`)
    const statics = Object.getOwnPropertyNames(cls).filter(
      (k) => !['length', 'name', 'prototype', 'arguments', 'caller'].includes(k) && typeof cls[k] === 'function',
    )
    const methods = []
    const getters = []
    for (const key of Object.getOwnPropertyNames(cls.prototype)) {
      if (key === 'constructor') continue
      const d = Object.getOwnPropertyDescriptor(cls.prototype, key)
      if (d.get) getters.push(key)
      else if (typeof d.value === 'function') methods.push(key)
    }
    let constructible = true
    try {
      new cls() // eslint-disable-line no-new
    } catch (err) {
      // A class without a constructor says so; one with a constructor rejects the missing argument.
      constructible = err.code === 'INPUT_ERROR'
    }
    classes[name] = { statics: statics.sort(), methods: methods.sort(), getters: getters.sort(), constructible }
  }
  return classes
}

test('index.d.ts declares exactly the exported classes and members', () => {
  assert.deepEqual(declared(), exported())
})

test('index.d.ts declares exactly the exported functions', () => {
  const pkg = createRequire(import.meta.url)('shipgate')
  const functions = Object.keys(pkg).filter(isFunctionName).sort()
  for (const name of functions) assert.equal(typeof pkg[name], 'function', name)
  assert.deepEqual(declaredFunctions(), functions)
})
