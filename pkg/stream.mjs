// ESM entry of `eqlite/stream`: the Transform bound to the ESM build of the engine.
import impl from './stream-impl.cjs';
import { Correlator } from 'eqlite';

/** @type {import('./stream').createCorrelatorStream} */
export const createCorrelatorStream = impl.bind(Correlator);
