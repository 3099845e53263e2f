/**
 * The bundled package in a real headless Chromium: a channel over WebSocket to a Node
 * createWebSocketServer with both ids checked, 8 MiB each way checked by SHA-256 (crypto.subtle),
 * the typed failures, two in-page peers, and handshakes/s + MB/s per backend (printed, not
 * asserted: speed is measured by `npm run bench`). The `webcrypto` run does all of it with the
 * handshake's public-key operations on Chromium's crypto.subtle, after checking them against
 * noble byte for byte and decision for decision (test/helpers/curve-agreement.ts).
 */
import test from 'tape'
import { chromiumInstalled, runInChromium } from './harness.js'

test('headless Chromium: the bundled core over WebSocket and in-page, on noble, wasm and webcrypto', { timeout: 280_000 }, async (t) => {
  if (!chromiumInstalled()) {
    t.fail('chromium is not installed (.ci/run installs it with apt-get)')
    return
  }
  const runs = await runInChromium({ backends: ['noble', 'wasm', 'webcrypto'] })
  for (const { page, server, serverId, chromium } of runs) {
    const b = page.backend
    t.deepEqual(page.pageErrors ?? [], [], `${b}: no uncaught error in the page`)
    t.equal(page.bufferGlobal, 'undefined', `${b}: the page has no Buffer global and no polyfill`)
    t.deepEqual(page.backendDisagreements, [], `${b}: same bytes and same decisions as noble in the page (${page.backendChecks} checks: random inputs, low-order and non-canonical points, S >= L)`)
    t.equal(page.seenServerId, serverId, `${b}: the page proved the server's id`)
    t.deepEqual(server.clientIds, [page.clientId], `${b}: the server proved the page's id`)
    t.equal(server.receivedBytes, 8 * 1024 * 1024, `${b}: the server got 8 MiB`)
    t.equal(server.receivedHash, page.sentHash, `${b}: page → server SHA-256 matches`)
    t.equal(page.receivedBytes, 8 * 1024 * 1024, `${b}: the page got 8 MiB`)
    t.equal(page.receivedHash, server.sentHash, `${b}: server → page SHA-256 (crypto.subtle.digest) matches`)
    t.equal(page.wrongAppKey, 'ERR_WRONG_APP_KEY', `${b}: wrong app key, page client: ERR_WRONG_APP_KEY (the server hangs up before its hello)`)
    t.equal(page.wrongServerKey, 'ERR_UNAUTHORIZED', `${b}: wrong server key, page client: ERR_UNAUTHORIZED (hang-up after auth)`)
    t.equal(page.unauthorized, 'ERR_UNAUTHORIZED', `${b}: refused by authorize: ERR_UNAUTHORIZED`)
    t.deepEqual(server.failures, ['ERR_WRONG_APP_KEY', 'ERR_SERVER_KEY_MISMATCH', 'ERR_UNAUTHORIZED'], `${b}: the Node server's handshakeError codes`)
    t.equal(page.inPageWrongAppKey, 'ERR_WRONG_APP_KEY', `${b}: in-page server: ERR_WRONG_APP_KEY`)
    t.equal(page.inPageServerKeyMismatch, 'ERR_SERVER_KEY_MISMATCH', `${b}: in-page server: ERR_SERVER_KEY_MISMATCH`)
    t.equal(page.inPageEcho, 'hello from the page', `${b}: two in-page peers over createDuplexPair echo`)
    t.ok(page.inPageIds, `${b}: in-page peers see each other's ids`)
    t.ok(page.handshakesPerSecond > 0 && page.boxUnboxMBps > 0, `${b}: figures measured`)
    if (b === 'webcrypto') console.log(`# ${chromium}: the bare crypto.subtle (without our prechecks) accepted ${page.bareWebCryptoForgeries} S = 0 forgeries`)
    console.log(`# ${chromium} ${b}: ${page.handshakesPerSecond.toFixed(0)} handshakes/s (${page.concurrentHandshakesPerSecond.toFixed(0)} with 8 pairs at once), box+unbox ${page.boxUnboxMBps.toFixed(1)} MB/s (64 KiB writes, in-page pair), ` +
      `8 MiB each way over WebSocket in ${page.transferSeconds.toFixed(2)} s`)
  }
  t.equal(runs.map((r) => r.page.backend).join(','), 'noble,wasm,webcrypto', 'every backend ran')
})
