// Node ESM entry. The web glue's async init() would fetch() the .wasm, which Node cannot do for
// file: URLs, so the bytes are read from disk and instantiated synchronously instead.
import { readFileSync } from 'node:fs';
import { initSync } from './dist/eqlite.js';

initSync({ module: readFileSync(new URL('./dist/eqlite_bg.wasm', import.meta.url)) });

export { Correlator, Query, builtinRules, parseExceptions, parseQuery, parseRule, version, cliStart, CliRun } from './dist/eqlite.js';
export { EqlError } from './errors.js';
