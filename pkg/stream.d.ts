import type { Transform } from 'node:stream';
import type { CorrelatorOptions } from 'eqlite';

/** Options of the stream itself (the engine's options are the first argument). */
export interface CorrelatorStreamOptions {
  /** Destroy the stream with an error on the first unreadable record (default false: such records
   * are announced as `inputError` events and counted in the summary). */
  strict?: boolean;
  /** Label for provenance and error locations (e.g. the file name). */
  fileName?: string;
  /** Number of results buffered on the readable side before back-pressure applies. */
  highWaterMark?: number;
}

/**
 * A Node `Transform`: bytes or strings in (any chunking), result objects out. Emits `summary`
 * at the end, `inputError` for each unreadable record, `note` for each of the readers' notes
 * and "more unreadable records" counts (`{kind, file, text}`), and `warning` (one line each, as
 * the CLI prints it) for what the run left out, such as events without a usable timestamp. Throws synchronously (an `EqlError`)
 * when the query or options are invalid.
 */
export function createCorrelatorStream(
  options?: CorrelatorOptions,
  streamOptions?: CorrelatorStreamOptions,
): Transform;
