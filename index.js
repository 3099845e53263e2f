// Entry point for importing a checkout by path (`import … from '/path/to/secret-channel/index.js'`);
// package imports (`'secret-channel'`) resolve through package.json "exports" to the same module.
export * from './dist/lib/index.js'
