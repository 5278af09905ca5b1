export { Correlator, Query, builtinRules, parseQuery, version } from './dist/eqlite.cjs';
export { EqlError } from './errors.cjs';
