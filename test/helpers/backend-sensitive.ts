/**
 * Which compiled test files depend on the crypto backend: test/run.js runs them once per backend
 * in Node, test/browser/suite.test.ts once per backend in headless Chromium. One list for both.
 */

/** Paths relative to dist/test (forward slashes) whose outcome depends on the crypto backend. */
const BACKEND_SENSITIVE: readonly RegExp[] = [/^handshake\//, /^boxstream\//, /^streams\//, /^net\//, /^security\//, /interop/, /shs1/, /pull/, /vectors/]

/** A comment that puts any other test file in the backend-sensitive set. */
const MARKER = '@test-' + 'all-backends' // split, so this file never carries the marker itself

/**
 * True when the test file `name` (relative to dist/test) with source `source` runs on every backend.
 * @example
 * ```ts
 * isBackendSensitive('boxstream/codec.test.js', readFileSync(file, 'utf8')) // true
 * ```
 */
export function isBackendSensitive(name: string, source: string): boolean {
  return BACKEND_SENSITIVE.some((re) => re.test(name)) || source.includes(MARKER)
}
