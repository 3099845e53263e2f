/**
 * Preloaded with `--import` (through NODE_OPTIONS, so child processes get it too) by test/run.js
 * for backends that need asynchronous initialisation: finishes `cryptoReady(<forced backend>)`
 * before any test code runs, as an application would at startup.
 */
import { cryptoReady } from '../../lib/crypto/index.js'

const name = process.env.SECRET_CHANNEL_CRYPTO
// A name that cannot load is left for getCryptoBackend() to report, as without the preload.
if (name) await cryptoReady(name).catch(() => undefined)
