'use strict';
// The Node pipeline face of eqlite: a Transform from bytes (or strings) to result objects.
// Written once here and bound to the ESM or CJS build of the engine by stream.mjs / stream.cjs,
// so that each module system uses its own wasm instance (the dual-package hazard) without the
// logic being written twice.
const { Transform } = require('node:stream');

/**
 * Binds the stream factory to one build of the `Correlator` class.
 * @param {Function} Correlator the wasm-bindgen class from the ESM or CJS entry
 */
function bind(Correlator) {
  /**
   * @param {object} options Correlator options (query / rule / fields / format ...)
   * @param {object} [streamOptions]
   * @param {boolean} [streamOptions.strict=false] destroy the stream on the first unreadable record
   * @param {string} [streamOptions.fileName] label used in provenance and error locations
   * @param {number} [streamOptions.highWaterMark] results buffered before back-pressure applies
   */
  return function createCorrelatorStream(options = {}, streamOptions = {}) {
    const { strict = false, fileName, highWaterMark } = streamOptions;
    // Constructing first makes a bad query throw synchronously, before any piping starts.
    const correlator = new Correlator(options);
    let freed = false;
    const release = () => {
      if (!freed) {
        freed = true;
        correlator.free();
      }
    };
    if (fileName !== undefined) correlator.beginFile(fileName);

    const stream = new Transform({
      readableObjectMode: true,
      readableHighWaterMark: highWaterMark,
      transform(chunk, encoding, callback) {
        let results;
        try {
          results = correlator.push(chunk);
        } catch (error) {
          callback(error);
          return;
        }
        for (const result of results) this.push(result);
        const failure = reportInputErrors(this);
        callback(failure);
      },
      flush(callback) {
        try {
          if (fileName !== undefined) correlator.endFile();
          const { results, summary } = correlator.finish();
          for (const result of results) this.push(result);
          const failure = reportInputErrors(this);
          this.emit('summary', summary);
          release();
          callback(failure);
        } catch (error) {
          callback(error);
        }
      },
      destroy(error, callback) {
        release();
        callback(error);
      },
    });

    // Unreadable records are data problems, not stream failures: they are announced as
    // 'inputError' events (and counted in the summary) unless the caller asked for strictness.
    function reportInputErrors(target) {
      const errors = correlator.takeInputErrors();
      for (const inputError of errors) target.emit('inputError', inputError);
      if (strict && errors.length > 0) {
        const first = errors[0];
        const error = new Error(`unreadable input: ${first.message}`);
        error.code = 'INPUT';
        error.inputErrors = errors;
        return error;
      }
      return undefined;
    }

    return stream;
  };
}

module.exports = { bind };
