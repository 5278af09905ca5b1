export { version } from './dist/eqlite.cjs';
export { EqlError } from './errors.cjs';
