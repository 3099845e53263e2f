/** `npm run example:browser`: the served page, opened in headless Chromium, shows the handshake and the echo. */
import test from 'tape'
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { launchChromium, root } from './harness.js'

/** The part of the page's DOM read here (the tests compile without lib.dom); #log is always there. */
interface PageGlobals {
  document: { getElementById(id: 'log'): { textContent: string } }
}

test('examples/browser: the page connects over WebSocket, shows the handshake and an echo', { timeout: 90_000 }, async (t) => {
  const server = spawn(process.execPath, [join(root, 'dist', 'examples', 'browser', 'server.js'), '0'], { cwd: root })
  let output = ''
  server.stderr.on('data', (d) => { output += d })
  const url = await new Promise<string>((resolve, reject) => {
    server.stdout.on('data', (d) => {
      output += d
      const m = /open (http:\/\/\S+)/.exec(output)
      if (m) resolve(m[1]!)
    })
    server.once('exit', () => reject(new Error(`the example server exited: ${output}`)))
  })
  const browser = await launchChromium()
  try {
    const page = await browser.newPage()
    await page.goto(url)
    await page.waitForFunction(() => /echo: /.test((globalThis as unknown as PageGlobals).document.getElementById('log').textContent), undefined, { timeout: 30_000 })
    const text = await page.evaluate(() => (globalThis as unknown as PageGlobals).document.getElementById('log').textContent)
    t.match(text, /handshake: ok in \d+ ms, the server proved @/, 'the page shows the handshake')
    t.match(text, /echo: ok/, 'the page shows the echo')
    await new Promise((resolve) => setTimeout(resolve, 200))
    t.match(output, /channel from @/, 'the server saw the channel')
  } finally {
    await browser.close()
    server.kill()
  }
})
