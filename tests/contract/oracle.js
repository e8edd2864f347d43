#!/usr/bin/env node
// The contract oracle: upstream's own zod schemas (@activepieces/shared, pinned in package.json)
// judge a value, one JSON line in, one JSON line out, for as long as stdin stays open.
//
//   in:  {"schema": "ProjectReplaceRequest", "value": {...}}
//        {"schema": "SeekPage<ProjectWithLimits>", "value": {...}}   (upstream's SeekPage(T))
//        {"schema": "Array<Field>", "value": [...]}                  (a bare array of T)
//        {"exports": true}                                          (the zod schemas on offer)
//   out: {"ok": true|false, "issues": [{"path": "/a/0", "code": "...", "message": "..."}],
//         "dropped": ["/a/extra"]}                                  or {"error": "..."}
//
// `ok` is exactly upstream's safeParse: strict only where upstream's schema is strict (z.object
// strips unknown keys, z.strictObject refuses them). `dropped` lists the keys the schema stripped
// (what the server would silently ignore in a request, or leave out of a serialised response).
'use strict'

const readline = require('node:readline')
const shared = require('@activepieces/shared')

const isSchema = (value) =>
    value !== null && typeof value === 'object' && '_zod' in value && typeof value.safeParse === 'function'

const cache = new Map()

function resolve(spec) {
    if (cache.has(spec)) {
        return cache.get(spec)
    }
    const wrapped = /^(SeekPage|Array)<(\w+)>$/.exec(spec)
    let schema = shared[spec]
    if (wrapped) {
        const item = resolve(wrapped[2])
        schema = wrapped[1] === 'SeekPage' ? shared.SeekPage(item) : item.array()
    }
    if (!isSchema(schema)) {
        throw new Error(`@activepieces/shared exports no zod schema named ${JSON.stringify(spec)}`)
    }
    cache.set(spec, schema)
    return schema
}

const pointer = (path) => path.map((part) => `/${String(part)}`).join('')

// Keys of `given` that the parsed `kept` no longer has (zod strips unknown object keys).
function droppedKeys(given, kept, path, out) {
    if (Array.isArray(given) && Array.isArray(kept)) {
        given.forEach((item, index) => droppedKeys(item, kept[index], `${path}/${index}`, out))
    } else if (given && kept && typeof given === 'object' && typeof kept === 'object') {
        for (const key of Object.keys(given)) {
            if (Object.prototype.hasOwnProperty.call(kept, key)) {
                droppedKeys(given[key], kept[key], `${path}/${key}`, out)
            } else {
                out.push(`${path}/${key}`)
            }
        }
    }
    return out
}

function answer(line) {
    const request = JSON.parse(line)
    if (request.exports) {
        return { exports: Object.keys(shared).filter((name) => isSchema(shared[name])).sort() }
    }
    const result = resolve(request.schema).safeParse(request.value)
    if (!result.success) {
        const issues = result.error.issues.map((issue) => ({
            path: pointer(issue.path),
            code: issue.code,
            message: issue.message,
        }))
        return { ok: false, issues, dropped: [] }
    }
    return { ok: true, issues: [], dropped: droppedKeys(request.value, result.data, '', []) }
}

const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity })
lines.on('line', (line) => {
    let reply
    try {
        reply = answer(line)
    } catch (error) {
        reply = { error: String(error && error.message ? error.message : error) }
    }
    process.stdout.write(`${JSON.stringify(reply)}\n`)
})
