/** `path` for tape in the browser suite: tape only joins its stack-trace patterns with `sep`. */
export const sep = '/'
export default { sep }
