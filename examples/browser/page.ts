/**
 * The browser side of `npm run example:browser`, bundled by esbuild for the page: opens a secret
 * channel over WebSocket to the server that served it, shows the handshake and an echo.
 * Written for the browser (DOM), compiled by the package's Node tsconfig (no DOM lib), hence the
 * small declaration of the few DOM globals it uses.
 */
import { SecretStream, fromWebSocket, generateKeyPair, formatId, parseId, SSB_MAIN_NETWORK_APP_KEY, type WebSocketLike } from 'secret-channel'

/** The DOM globals this page touches. */
interface Page {
  document: {
    body: { dataset: Record<string, string> }
    createElement(tag: string): { textContent: string | null }
    getElementById(id: string): { appendChild(node: unknown): void }
  }
  location: { host: string }
  WebSocket: new (url: string) => WebSocketLike
}
const page = globalThis as unknown as Page
const doc = page.document
const log = (text: string): void => {
  const line = doc.createElement('div')
  line.textContent = text
  doc.getElementById('log').appendChild(line)
}

async function main(): Promise<void> {
  const serverId: string = doc.body.dataset.serverId
  const me = generateKeyPair() // a fresh identity for this page load
  log(`me:     ${formatId(me.publicKey)}`)
  log(`server: ${serverId}`)
  const url = `ws://${page.location.host}/ws`
  const channel = new SecretStream(fromWebSocket(new page.WebSocket(url)), {
    isInitiator: true, keyPair: me, appKey: SSB_MAIN_NETWORK_APP_KEY, remotePublicKey: parseId(serverId)
  })
  await channel.opened
  log(`handshake: ok in ${channel.handshakeDuration} ms, the server proved ${formatId(channel.remotePublicKey!)}`)
  const message = `hello at ${new Date().toISOString()}`
  const reply = new Promise<string>((resolve) => channel.once('data', (data: Uint8Array) => resolve(new TextDecoder().decode(data))))
  channel.write(new TextEncoder().encode(message))
  const echoed = await reply
  log(`sent: ${message}`)
  log(`echo: ${echoed === message ? 'ok' : 'MISMATCH'} (${echoed})`)
  channel.end()
}

main().catch((err) => log(`error: ${err?.code ?? ''} ${err?.message ?? err}`))
