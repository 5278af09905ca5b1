'use strict';
// CommonJS twin of errors.js (keep the two identical in behaviour): `instanceof EqlError` is
// decided by the error's name, so errors from either copy of the package satisfy either class.
class EqlError extends Error {
  constructor(message, fields = {}) {
    super(message);
    this.name = 'EqlError';
    Object.assign(this, fields);
  }

  static [Symbol.hasInstance](value) {
    return value instanceof Error && value.name === 'EqlError';
  }
}
module.exports = { EqlError };
