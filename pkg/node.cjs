'use strict';
// Node CommonJS entry: wasm-bindgen's nodejs glue loads dist/eqlite_bg.wasm synchronously on
// require. Note that `require('eqlite')` and `import 'eqlite'` in one process give two separate
// instances (the dual-package hazard); EqlError checks work across both.
const wasm = require('./dist/eqlite.cjs');
const { EqlError } = require('./errors.cjs');

module.exports = {
  Correlator: wasm.Correlator,
  Query: wasm.Query,
  builtinRules: wasm.builtinRules,
  parseExceptions: wasm.parseExceptions,
  parseQuery: wasm.parseQuery,
  parseRule: wasm.parseRule,
  version: wasm.version,
  cliStart: wasm.cliStart,
  CliRun: wasm.CliRun,
  EqlError,
};
