// The CommonJS packages the browser suite's createRequire shim (module.ts) bundles; they ship no types.
declare module 'pull-stream'
declare module 'stream-to-pull-stream'
