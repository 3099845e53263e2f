/**
 * Every export of the package's entry points (".", "./pull", and the namespaces they re-export)
 * carries a TSDoc `@example`, so the generated API reference (`npm run docs`) shows how to call each.
 * Reads the TypeScript sources with the compiler API; no build output needed.
 */
import test from 'tape'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import ts from 'typescript'
import { root } from '../helpers/net.js'

/** The source files behind package.json "exports" (dist/lib/x.js -> lib/x.ts). */
function entryPoints(): string[] {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { exports: Record<string, { default?: string } | string> }
  return Object.values(pkg.exports)
    .map((target) => (typeof target === 'string' ? target : target.default ?? ''))
    .filter((target) => target.startsWith('./dist/lib/') && target.endsWith('.js'))
    .map((target) => join(root, target.replace('./dist/', '').replace(/\.js$/, '.ts')))
}

/** Exported names (namespace members as `ns.name`) whose declarations have no @example. */
export function missingExamples(files: string[]): { checked: number, missing: string[] } {
  const program = ts.createProgram(files, { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022, strict: true, skipLibCheck: true })
  const checker = program.getTypeChecker()
  const missing = new Set<string>()
  const seen = new Set<ts.Symbol>()
  let checked = 0
  const visit = (module: ts.Symbol, prefix: string): void => {
    for (const exported of checker.getExportsOfModule(module)) {
      const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported
      const name = prefix + exported.getName()
      if (symbol.flags & ts.SymbolFlags.ValueModule && symbol.declarations?.some((d) => ts.isSourceFile(d))) {
        visit(symbol, `${name}.`) // export * as ns from '…'
        continue
      }
      if (seen.has(symbol)) continue
      seen.add(symbol)
      checked++
      const tags = (symbol.declarations ?? []).flatMap((d) => ts.getJSDocTags(d))
      if (!tags.some((tag) => tag.tagName.text === 'example')) missing.add(name)
    }
  }
  for (const file of files) {
    const source = program.getSourceFile(file)
    const symbol = source && checker.getSymbolAtLocation(source)
    if (symbol) visit(symbol, '')
  }
  return { checked, missing: [...missing].sort() }
}

test('every export has a TSDoc @example', (t) => {
  const files = entryPoints()
  t.ok(files.length >= 2, `entry points: ${files.map((f) => f.slice(root.length + 1)).join(', ')}`)
  const { checked, missing } = missingExamples(files)
  t.ok(checked > 50, `${checked} exports checked`)
  t.deepEqual(missing, [], missing.length === 0 ? 'all have one' : `${missing.length} without @example: ${missing.join(', ')}`)
  t.end()
})
