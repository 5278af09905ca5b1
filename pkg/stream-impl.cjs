'use strict';
// The Node pipeline face of eqlite: a Transform from bytes (or strings) to result objects.
// Written once here and bound to the ESM or CJS build of the engine by stream.js / stream.cjs,
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
    // Results of startFile are always empty (nothing pushed yet).
    if (fileName !== undefined) correlator.startFile(fileName);

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
          const { results, summary } = correlator.finish();
          for (const result of results) this.push(result);
          const failure = reportInputErrors(this);
          for (const line of correlator.warnings()) this.emit('warning', line);
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
    // The readers' notes and "N more unreadable records" counts are 'note' events ({kind, file,
    // text}, `text` as the CLI prints it), so a pipeline sees what the CLI shows on stderr.
    function reportInputErrors(target) {
      const errors = [];
      for (const message of correlator.takeMessages()) {
        if (message.kind === 'input_error') {
          const { kind: _kind, text: _text, ...problem } = message;
          errors.push(problem);
          target.emit('inputError', problem);
        } else {
          target.emit('note', message);
        }
      }
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
