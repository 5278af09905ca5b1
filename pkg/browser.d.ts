export { Correlator, Query, builtinRules, parseQuery, version } from './dist/eqlite.js';
export { EqlError } from './errors.js';
