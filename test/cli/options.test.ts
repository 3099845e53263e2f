/** The option parsers the commands share turn each bad value into one usage error. */
import test from 'tape'
import { UsageError, listOption, parseCommandLine } from '../../lib/cli/command.js'
import { appKeyOption, parseAddress, parsePort, peerId, timeoutOption } from '../../lib/cli/options.js'
import { formatId, generateKeyPair, SSB_MAIN_NETWORK_APP_KEY } from '../../lib/keys.js'

const usage = (fn: () => unknown, pattern: RegExp) => {
  try {
    fn()
  } catch (err) {
    return err instanceof UsageError && err.code === 'ERR_USAGE' && pattern.test(err.detail)
  }
  return false
}

test('HOST:PORT, [IPv6]:PORT, :PORT and Unix paths', (t) => {
  t.deepEqual(parseAddress('example.org:8008'), { host: 'example.org', port: 8008 })
  t.deepEqual(parseAddress('[::1]:80'), { host: '::1', port: 80 })
  t.deepEqual(parseAddress(':9'), { host: '127.0.0.1', port: 9 }, 'an empty host is the loopback address')
  t.deepEqual(parseAddress('/run/sc.sock'), { path: '/run/sc.sock' })
  t.ok(usage(() => parseAddress('example.org'), /HOST:PORT/), 'a missing port')
  t.ok(usage(() => parseAddress('h:70000'), /port number/), 'a port out of range')
  t.ok(usage(() => parsePort('8x', '--port'), /--port must be a port number/))
  t.end()
})

test('app key, peer id, timeout', (t) => {
  const args = (values: Record<string, string>) => ({ values, positionals: [] })
  t.ok(appKeyOption(args({})).equals(SSB_MAIN_NETWORK_APP_KEY), 'the main network by default')
  const key = Buffer.alloc(32, 9)
  t.ok(appKeyOption(args({ 'app-key': key.toString('base64') })).equals(key))
  t.ok(usage(() => appKeyOption(args({ 'app-key': Buffer.alloc(31).toString('base64') })), /32 bytes/), 'a short key')
  const id = formatId(generateKeyPair().publicKey)
  t.equal(formatId(peerId(id, '--server')), id)
  t.ok(usage(() => peerId('@abc.ed25519', '--server'), /^--server: not an ed25519 id/))
  t.equal(timeoutOption(undefined), 10_000)
  t.equal(timeoutOption('250'), 250)
  t.ok(usage(() => timeoutOption('0'), /positive/))
  t.end()
})

test('the command-line parser: repeated and comma-separated --allow, strict unknown options', (t) => {
  const spec = { allow: { type: 'string' as const, multiple: true }, quiet: { type: 'boolean' as const, short: 'q' } }
  const parsed = parseCommandLine(['--allow', 'a,b', '--allow', 'c', '-q', 'pos'], spec)
  t.deepEqual(listOption(parsed, 'allow'), ['a', 'b', 'c'])
  t.equal(parsed.values.quiet, true)
  t.deepEqual(parsed.positionals, ['pos'])
  t.ok(usage(() => parseCommandLine(['--nope'], spec), /^unknown option --nope$/))
  t.ok(usage(() => parseCommandLine(['--allow'], spec), /^option --allow needs a value$/))
  t.ok(usage(() => parseCommandLine(['--quiet=yes'], spec), /^option --quiet takes no value$/))
  t.end()
})
