export { Correlator, Query, builtinRules, parseQuery, parseRule, version, cliStart, CliRun } from './dist/eqlite.js';
export type {
  CorrelatorOptions, EqlResult, InputProblem, Provenance, QueryInfo, QueryOptions, ResultEvent, RuleInfo, Summary,
} from './dist/eqlite.js';
export { EqlError } from './errors.js';
