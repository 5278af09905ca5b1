// Browser (and bundler) entry: instantiates the WebAssembly module once, with top-level await, so
// that importers can use the API as soon as `import` resolves. The .wasm is fetched next to this
// file; serve it as application/wasm for streaming compilation.
import init from './dist/eqlite.js';

await init({ module_or_path: new URL('./dist/eqlite_bg.wasm', import.meta.url) });

export { Correlator, Query, builtinRules, parseExceptions, parseQuery, parseRule, version, cliStart, CliRun } from './dist/eqlite.js';
export { EqlError } from './errors.js';
