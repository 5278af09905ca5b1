export { Correlator, Query, builtinRules, parseExceptions, parseQuery, parseRule, version, cliStart, CliRun } from './dist/eqlite.js';
export type {
  CorrelatorOptions, EqlResult, EventView, ExceptionInfo, Explanation, Finding, InputProblem, MatchView, Provenance, QueryInfo, QueryOptions,
  ResultEvent, RuleInfo, RunMessage, SimulateOptions, Simulation, Summary,
} from './dist/eqlite.js';
export { EqlError } from './errors.js';
