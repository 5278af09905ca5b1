'use strict';
// CJS entry of `eqlite/stream`: the Transform bound to the CJS build of the engine.
const { bind } = require('./stream-impl.cjs');
const { Correlator } = require('eqlite');

module.exports = { createCorrelatorStream: bind(Correlator) };
