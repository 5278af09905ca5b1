export { Correlator, Query, builtinRules, parseQuery, parseRule, version, cliStart, CliRun } from './dist/eqlite.cjs';
export type {
  CorrelatorOptions, EqlResult, InputProblem, Provenance, QueryInfo, QueryOptions, ResultEvent, RuleInfo, Summary,
} from './dist/eqlite.cjs';
export { EqlError } from './errors.cjs';
