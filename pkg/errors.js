/**
 * The error class of everything eqlite throws on purpose (bad query, bad option, unreadable
 * input...). Errors are created inside the WebAssembly module as plain `Error`s named
 * "EqlError", so `instanceof` is decided by name, not by identity: it therefore also holds
 * across the ESM and CommonJS copies of the package (the dual-package hazard).
 */
export class EqlError extends Error {
  constructor(message, fields = {}) {
    super(message);
    this.name = 'EqlError';
    Object.assign(this, fields);
  }

  static [Symbol.hasInstance](value) {
    return value instanceof Error && value.name === 'EqlError';
  }
}
