// index.d.ts is hand-written: check it declares exactly what the addon exports.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { test } from 'node:test'

import ts from 'typescript'

import { pkgDir } from './support.mjs'

/** `{Class: {statics, methods, getters, constructible}}` as declared in index.d.ts. */
function declared() {
  const file = join(pkgDir, 'index.d.ts')
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true)
  const classes = {}
  for (const node of source.statements) {
    if (!ts.isClassDeclaration(node) || !node.name) continue
    const has = (n, kind) => (n.modifiers ?? []).some((m) => m.kind === kind)
    assert.ok(has(node, ts.SyntaxKind.ExportKeyword), `${node.name.text} is not exported`)
    const shape = { statics: [], methods: [], getters: [], constructible: false }
    for (const member of node.members) {
      const name = member.name?.getText(source)
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
    classes[node.name.text] = shape
  }
  return classes
}

/** The same shape, read from the loaded package. */
function exported() {
  const pkg = createRequire(import.meta.url)('shipgate')
  const classes = {}
  for (const [name, cls] of Object.entries(pkg)) {
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
