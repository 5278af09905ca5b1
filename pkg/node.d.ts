export { version } from './dist/eqlite.js';
export { EqlError } from './errors.js';
