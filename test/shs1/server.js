#!/usr/bin/env node
// shs1-test adapter, SERVER role: `shs1testserver test/shs1/server.js` (after `npm run build`).
// argv: network_identifier_hex server_longterm_sk_hex server_longterm_pk_hex
// Runs our ServerHandshake over stdin/stdout (roles.js), or relays to the warm daemon when the
// tape test set SHS1_ADAPTER_SOCKET (forward.js).
const args = process.argv.slice(2, 5)
if (process.env.SHS1_ADAPTER_SOCKET) {
  const { forward } = await import('./forward.js')
  forward(process.env.SHS1_ADAPTER_SOCKET, 'server', args)
} else {
  const { runServer, describe } = await import('./roles.js')
  const { stdio } = await import('./io.js')
  runServer(args, stdio(describe))
}
