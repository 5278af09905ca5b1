/**
 * Thrown by eqlite for every expected failure: a query that does not parse or compile, a wrong
 * option, unreadable input. `instanceof EqlError` works on any error eqlite throws.
 */
export declare class EqlError extends Error {
  constructor(message: string, fields?: Partial<EqlErrorFields>);
  name: 'EqlError';
  /** Stable machine-readable code: "syntax", "semantic", "limit", "option", "input", ... */
  code: string;
  /** For query errors: 1-based line of the error's start. */
  line?: number;
  /** For query errors: 1-based column (in characters) of the error's start. */
  column?: number;
  /** For query errors: start offset in the query text, in UTF-16 code units (String.slice units). */
  start?: number;
  /** For query errors: end offset (exclusive), in UTF-16 code units. */
  end?: number;
  /** The error drawn against the query text with a ^^^ caret line, for monospace display. */
  caret?: string;
  static [Symbol.hasInstance](value: unknown): value is EqlError;
}
export interface EqlErrorFields {
  code: string;
  line: number;
  column: number;
  start: number;
  end: number;
  caret: string;
}
