//! The TypeScript declarations of the option and result objects, emitted into the generated
//! `.d.ts` next to the classes wasm-bindgen declares itself (one place for the JS shapes).
//!
//! Naming: methods, getters and options are camelCase (JS convention); result and summary objects
//! keep the engine's field names (`join_keys`, `_source`, `events_seen`), the same as the CLI's
//! JSON output, so one parser serves both.

use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &str = r#"
/** Options of `new Query(text, options)`. */
export interface QueryOptions {
  /** Field holding each event's time (default "@timestamp"). */
  timestampField?: string;
  /** Field that orders events with equal timestamps (default none). */
  tiebreakerField?: string | null;
  /** Field holding the event category that `process where` tests (default "event.category"). */
  eventCategoryField?: string;
  /** At most this many results (default unlimited). */
  size?: number | null;
  /** Which results `size` keeps: "head" (first) or "tail" (last, the default, as Elasticsearch). */
  resultPosition?: "head" | "tail";
  /** Elasticsearch index mapping(s) that type the fields as Elasticsearch indexed them
   *  (aliases, null_value, date/date_nanos, numbers, boolean, ip, version, ignore_above): the
   *  `GET <index>/_mapping` answer, `{"mappings": ...}` or `{"properties": ...}`, as JSON text or
   *  an object, or an array of those. An event takes the mapping of its hit's `_index`, else of
   *  the index named like its file (startFile), else the only or unnamed one. Default none. */
  mapping?: string | object | (string | object)[] | null;
  /** `sample` queries: samples per join-key combination (default 1, as Elasticsearch). */
  maxSamplesPerKey?: number;
}
/** Options of `new Correlator(options)`: `query` or `rule` (neither: the built-in rule). */
export interface CorrelatorOptions extends QueryOptions {
  /** EQL query text. */
  query?: string;
  /** A built-in rule id (see builtinRules()) or the text of an Elastic detection-rules TOML file. */
  rule?: string;
  /** Input format of push() chunks, e.g. "ndjson" (default: detected from the data). */
  format?: string;
  /** Stream mode for input that never ends: how long (ms of event time) to wait for
   *  out-of-order events before a result is final; later events are counted as `late`. Default
   *  null: batch mode, every candidate event is ordered before matching, so the results are
   *  Elasticsearch's whatever the input order (results then come from finish()). */
  reorderWindow?: number | null;
  /** Batch mode's budget of held candidate events (events that pass a stage); past it push()
   *  throws an EqlError with code "limit" naming this option. Default 500000; null: none. */
  maxCandidates?: number | null;
  /** Skip records that provably pass no filter, unparsed (default true; same results). */
  prefilter?: boolean;
  /** Parse only the fields the query and exceptions read of each NDJSON record, keeping its text
   *  for results (default true; same results). */
  projection?: boolean;
  /** Time zone for zone-less export timestamps: "UTC" (default) or a fixed offset "+02:00". */
  timeZone?: string;
  /** Add `view` (the table's cells, event locations, the decoded task) to each result. */
  views?: boolean;
  /** Keep the candidate events so that `simulate()` can replay Kibana's schedule over them. */
  simulate?: boolean;
  /** Collect near misses and coverage for `explain()` (a number: findings kept per kind, default
   *  10). Reads every record (no pre-filter). */
  explain?: boolean | number;
  /** Elastic rule exceptions, applied to events before matching: Kibana's exported exception
   *  items as JSON text (NDJSON, an array or one item) or as objects. */
  exceptions?: string | object | object[] | null;
}
/** What a query is, as told by parseQuery() and the Query getters. */
export interface QueryInfo {
  kind: "event" | "sequence" | "sample";
  /** The join key fields (`by`) of the first stage. */
  joinKeys: string[];
  /** `maxspan` in milliseconds, if any. */
  maxspanMs?: number;
  /** Every field the query reads, sorted. */
  fields: string[];
}
/** Where an event came from. */
export interface Provenance { file?: string; line?: number; record?: number; offset?: number; index?: string; recovered?: true }
/** One event of a result (or a missing-event placeholder of a `![...]` stage). */
export interface ResultEvent { _source: Record<string, unknown>; _provenance?: Provenance; missing?: true }
/** What the engine shows of a result (the `views` option): the CLI table's cells and more. */
export interface MatchView {
  host: string; task: string; user: string; created: string; deleted: string;
  gap_ms: number | null; gap: string;
  /** First and last event time, ms since the epoch (the engine's own timestamp parser). */
  created_ms: number | null; deleted_ms: number | null;
  /** The distinct `user.name` values, in order (what `user` joins with " -> "). */
  users: string[];
  /** Where each event came from ("file:line", "file: record N", "missing"). */
  locations: string[];
  /** Each event's first facts, in sequence order. */
  events: EventView[];
  /** The task the first event created, decoded from TaskContent. */
  scheduled_task: { definition: Record<string, unknown>; command: string } | null;
  /** The first TaskContent of the events, raw (also when it does not decode). */
  task_content: string | null;
}
/** Changes to the rule's schedule for Correlator.simulate(), as the CLI's `simulate` flags. */
export interface SimulateOptions {
  interval?: string; from?: string; maxSignals?: number; suppressBy?: string[];
  suppressFor?: string; suppressMissing?: "suppress" | "doNotSuppress"; noSuppression?: boolean;
  firstRun?: string; phase?: string; phases?: number;
}
/** One replay of the detection engine's schedule (see `eqlite simulate --output ndjson`). */
export interface Simulation {
  schedule: { interval_ms: number; lookback_ms: number; max_signals: number;
    suppression: { group_by: string[]; duration_ms: number | null; suppress_missing: boolean } | null };
  first_run: string; offset_ms: number;
  runs: { start: string; from: string; to: string; sequences: number; capped: number;
    new_alerts: number; deduplicated: number; suppressed: number }[];
  matches: { join_keys: unknown[]; first: string; last: string; gap_ms: number; alerted: boolean;
    run: string | null; reason: "window" | "max_signals" | "suppressed" | null; alert_id: string | null }[];
  summary: { runs: number; matches: number; alerted: number; missed: number; missed_window: number;
    missed_max_signals: number; suppressed: number; alerts: number; other_pairings: number };
  /** Kibana's alert documents: building blocks then the shell, per alert group. */
  alerts: { _id: string; _source: Record<string, unknown> }[];
}
/** One finding of explain(); `kind` is stable (see `eqlite explain --help`). */
export type Finding = { kind:
  | "near_miss.condition" | "near_miss.maxspan" | "near_miss.until" | "near_miss.key_case"
  | "near_miss.open" | "coverage.field" | "coverage.host" | "coverage.gap"; [field: string]: unknown };
/** What explain() returns. */
export interface Explanation {
  verdict: "matched" | "near_misses" | "no_coverage" | "nothing";
  text: string; matches: number; findings: Finding[]; more: Record<string, number>;
}
/** One exception item as parseExceptions() reads it: Kibana's JSON and the item in words. */
export interface ExceptionInfo { item: Record<string, unknown>; text: string }
/** One event of a result as the engine shows it; absent fields are null. */
export interface EventView {
  missing: boolean; location: string; timestamp: string | null; action: string | null;
  code: string | null; host: string | null; user: string | null; logon_id: string | null;
  record_id: string | null;
}
/** One result: a sequence (with its join key values) or a single event. */
export interface EqlResult { join_keys?: unknown[]; events: ResultEvent[]; view?: MatchView }
/** A line for the analyst, as takeMessages() hands it out; `text` is what the CLI prints. */
export type RunMessage =
  | ({ kind: "input_error"; text: string } & InputProblem)
  | { kind: "more_errors"; file: string; count: number; text: string }
  | { kind: "note"; file: string; text: string };
/** A record the input reader could not read. */
export interface InputProblem { file?: string; line?: number; record?: number; offset?: number; reason: string; message: string }
/** What happened during a run (field names as in the CLI's JSON). */
export interface Summary {
  /** Events read or pushed. */
  events_seen: number;
  /** Per stage, events that matched it. */
  stage_hits: number[];
  /** Events skipped for lack of a usable timestamp (the first ones in skipped_examples). */
  skipped: number;
  skipped_examples: { provenance: Provenance; reason: string }[];
  /** Events that arrived too far out of order to be correlated (see reorderWindow). */
  late: number;
  late_examples: { provenance: Provenance; timestamp_ms: number; behind_ms: number }[];
  open_sequences: number;
  buffered: number;
  /** Results returned. */
  matches: number;
  /** Records the input reader could not read (the first ones are listed in input_errors). */
  input_error_count: number;
  input_errors: InputProblem[];
  /** Events removed by the `exceptions` option before matching. */
  excluded_by_exceptions: number;
  /** Matches the exceptions suppressed (they would be results without them). */
  suppressed_matches: number;
  /** Per exception item: events dropped and matches suppressed. */
  exceptions: { name: string; excluded_events: number; suppressed_matches: number }[];
  /** Records read over all files, unreadable and pre-filtered ones included. */
  records_read: number;
  /** Records skipped unparsed by the pre-filter (not in events_seen; results are the same). */
  prefiltered: number;
  /** Per input file. */
  files: { name: string; format: string | null; records: number; events: number; prefiltered: number; errors: number; notes: string[] }[];
  /** Whether input was ordered before matching (no reorderWindow): exact for any order. */
  batch: boolean;
  refused_sequences: number;
}
/** A built-in rule. */
export interface RuleInfo { id: string; name: string; description: string; severity: string; risk_score?: number; query: string }
"#;
