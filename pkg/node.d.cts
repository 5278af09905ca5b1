export { Correlator, Query, builtinRules, parseExceptions, parseQuery, parseRule, version, cliStart, CliRun } from './dist/eqlite.cjs';
export type {
  CorrelatorOptions, EqlResult, EventView, ExceptionInfo, Explanation, Finding, InputProblem, MatchView, Provenance, QueryInfo, QueryOptions,
  ResultEvent, RuleInfo, RunMessage, SimulateOptions, Simulation, Summary,
} from './dist/eqlite.cjs';
export { EqlError } from './errors.cjs';
