/**
 * The README is what a registry page shows, where relative links break: every link in it is an
 * anchor or an absolute URL, and every link into this repository names a file that exists here.
 */
import test from 'tape'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { root } from '../helpers/net.js'

const REPO = 'https://github.com/secret-channel/secret-channel/blob/main/'
const RAW = 'https://raw.githubusercontent.com/secret-channel/secret-channel/main/'

test('README links work on a registry page', (t) => {
  const text = readFileSync(join(root, 'README.md'), 'utf8')
  const links = [...text.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!)
  t.ok(links.length > 5, `${links.length} links`)
  for (const link of links) {
    if (link.startsWith('#')) continue
    t.ok(/^https:\/\//.test(link), `absolute: ${link}`)
    const local = link.startsWith(REPO) ? link.slice(REPO.length) : link.startsWith(RAW) ? link.slice(RAW.length) : null
    if (local !== null) t.ok(existsSync(join(root, local.split('#')[0]!)), `exists in the repository: ${local}`)
  }
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Record<string, unknown>
  t.equal(pkg.homepage, 'https://github.com/secret-channel/secret-channel#readme', 'homepage')
  t.ok(pkg.repository && pkg.bugs && Array.isArray(pkg.keywords), 'repository, bugs and keywords are filled')
  t.end()
})
