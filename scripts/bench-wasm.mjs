// scripts/bench.sh's "WASM in Node" row: the npm package's Node entry (pkg/node.js, what
// `npm pack` ships), `new Correlator({})` (the built-in rule), the file pushed in 1 MiB chunks.
// Prints `seconds=S results=N bytes=B`.
import { openSync, readSync, closeSync, fstatSync } from 'node:fs';
import { Correlator } from '../pkg/node.js';

const file = process.argv[2];
const fd = openSync(file, 'r');
const size = fstatSync(fd).size;
const chunk = Buffer.allocUnsafe(1 << 20);
const start = process.hrtime.bigint();
const correlator = new Correlator({});
let results = 0;
for (;;) {
  const n = readSync(fd, chunk, 0, chunk.length, null);
  if (n === 0) break;
  results += correlator.push(chunk.subarray(0, n)).length;
}
results += correlator.finish().results.length;
const seconds = Number(process.hrtime.bigint() - start) / 1e9;
closeSync(fd);
console.log(`seconds=${seconds.toFixed(4)} results=${results} bytes=${size}`);
