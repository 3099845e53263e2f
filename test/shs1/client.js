#!/usr/bin/env node
// shs1-test adapter, CLIENT role: `shs1testclient test/shs1/client.js` (after `npm run build`).
// argv: network_identifier_hex server_longterm_pk_hex
// Runs our ClientHandshake over stdin/stdout (roles.js), or relays to the warm daemon when the
// tape test set SHS1_ADAPTER_SOCKET (forward.js).
const args = process.argv.slice(2, 4)
if (process.env.SHS1_ADAPTER_SOCKET) {
  const { forward } = await import('./forward.js')
  forward(process.env.SHS1_ADAPTER_SOCKET, 'client', args)
} else {
  const { runClient, describe } = await import('./roles.js')
  const { stdio } = await import('./io.js')
  runClient(args, stdio(describe))
}
