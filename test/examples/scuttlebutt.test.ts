/**
 * The README's "Talking to Scuttlebutt peers" example against a real secret-stack server (secret-stack
 * and muxrpc from npm): muxrpc calls both ways of data over our channel, the caller's id as the
 * server saw it, and the peer's Scuttlebutt-style hang-up (muxrpc goodbye, TCP close, no box-stream
 * goodbye) handled as a normal close.
 */
import test from 'tape'
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { root } from '../helpers/net.js'

test('examples/scuttlebutt: muxrpc over a secret channel to a real secret-stack server', async (t) => {
  const { code, stdout, stderr } = await new Promise<{ code: number | null, stdout: string, stderr: string }>((resolve) => {
    const child = execFile(process.execPath, [join(root, 'dist', 'examples', 'scuttlebutt.js')], { timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr })
    })
    child.stdin?.end()
  })
  t.equal(code, 0, `exits 0${code === 0 ? '' : `: ${stderr}`}`)
  const client = /^connected to (@\S+) as (@\S+)$/m.exec(stdout)
  const server = /^secret-stack server (@\S+) on 127\.0\.0\.1:\d+$/m.exec(stdout)
  t.ok(client && server && client[1] === server[1], 'the client authenticated the secret-stack server by its id')
  t.ok(client && stdout.includes(`whoAmI -> ${client[2]}\n`), 'the server saw the id our handshake proved (a muxrpc async call)')
  t.match(stdout, /^count\(3\) -> 0, 1, 2$/m, 'a muxrpc source stream')
  t.match(stdout, /^the server hung up after muxrpc's goodbye \((ERR_TRUNCATED|ERR_TRANSPORT): its normal close\)$/m, 'the Scuttlebutt-style close is recognised')
  t.match(stdout, /^done$/m)
})
