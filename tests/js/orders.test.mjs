// Issue 9: the same result set whatever the input order, through every Node-side shell with
// default settings: the native CLI, `npx eqlite` (the packed package's bin), `Correlator` and
// `createCorrelatorStream` from the packed package. The answer must be the ascending batch
// answer; a stream-mode run (a 2-minute reorder window) over the descending input shows that the
// orders really differ (it loses matches), so this test can fail.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createReadStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { installPacked, nativeBinary } from './shared.mjs';
import { resultKey, writeOrders } from './lib/winlog-gen.mjs';

const EVENTS = 20_000;
let packed;
let api;
let streamApi;
let scratch;
let inputs;

before(async () => {
  packed = await installPacked();
  api = await import(packed.nodeModule);
  streamApi = await import(packed.streamModule);
  scratch = mkdtempSync(join(tmpdir(), 'eqlite-orders-'));
  inputs = writeOrders(scratch, EVENTS);
});

after(() => {
  packed?.cleanup();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

const keys = (results) => results.map(resultKey).sort();

function cli(command, args) {
  const out = spawnSync(command[0], [...command.slice(1), ...args], { encoding: 'utf8', maxBuffer: 1 << 28 });
  assert.equal(out.status, 0, out.stderr);
  return keys(out.stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line)));
}

function viaCorrelator(files, options = {}) {
  const c = new api.Correlator(options);
  const results = [];
  try {
    for (const file of files) {
      results.push(...c.startFile(file));
      const bytes = readFileSync(file);
      for (let at = 0; at < bytes.length; at += 1 << 20) results.push(...c.push(bytes.subarray(at, at + (1 << 20))));
    }
    results.push(...c.finish().results);
  } finally {
    c.free();
  }
  return keys(results);
}

async function viaStream(files) {
  const results = [];
  // One stream per run: the files are concatenated into it, in the given order.
  const source = async function* source() {
    for (const file of files) yield* createReadStream(file);
  };
  await pipeline(
    source,
    streamApi.createCorrelatorStream({}),
    new Writable({ objectMode: true, write(result, _, done) { results.push(result); done(); } }),
  );
  return keys(results);
}

test('every order gives the ascending batch answer through every Node-side shell', async () => {
  const native = [nativeBinary()];
  const npx = [process.execPath, packed.bin];
  const expected = cli(native, ['run', ...inputs.ascending]);
  assert.ok(expected.length >= 50, `the generated set must have many matches, has ${expected.length}`);
  const orders = {
    ascending: inputs.ascending,
    descending: inputs.descending,
    shuffled: inputs.shuffled,
    'split, newest file first': inputs.split,
  };
  for (const [order, files] of Object.entries(orders)) {
    assert.deepEqual(cli(native, ['run', ...files]), expected, `native CLI, ${order}`);
    assert.deepEqual(cli(npx, ['run', ...files]), expected, `npx eqlite, ${order}`);
    assert.deepEqual(viaCorrelator(files), expected, `Correlator, ${order}`);
    assert.deepEqual(await viaStream(files), expected, `createCorrelatorStream, ${order}`);
  }
  // A directory, read in path order (newest file first).
  assert.deepEqual(cli(native, ['run', inputs.splitDir]), expected, 'native CLI, directory');
  assert.deepEqual(cli(npx, ['run', inputs.splitDir]), expected, 'npx eqlite, directory');
  // Stream mode is an explicit choice and does lose matches on newest-first input.
  const streamed = viaCorrelator(inputs.descending, { reorderWindow: 120_000 });
  assert.ok(streamed.length < expected.length / 2, `stream mode kept ${streamed.length} of ${expected.length}`);
});

test('the candidate budget stops the run with an error naming the option, in every shell', async () => {
  const native = [nativeBinary()];
  const npx = [process.execPath, packed.bin];
  for (const command of [native, npx]) {
    const out = spawnSync(command[0], [...command.slice(1), 'run', '--max-candidates', '10', ...inputs.descending], { encoding: 'utf8' });
    assert.equal(out.status, 3, out.stderr);
    assert.match(out.stderr, /more than 10 candidate events .*--max-candidates/s);
    assert.equal(out.stdout, '', 'no partial answer');
  }
  const c = new api.Correlator({ maxCandidates: 10 });
  try {
    assert.throws(() => c.push(readFileSync(inputs.descending[0])), (e) => e.name === 'EqlError' && e.code === 'limit' && /maxCandidates/.test(e.message));
  } finally {
    c.free();
  }
  await assert.rejects(
    pipeline(
      createReadStream(inputs.descending[0]),
      streamApi.createCorrelatorStream({ maxCandidates: 10 }),
      new Writable({ objectMode: true, write(_, __, done) { done(); } }),
    ),
    (e) => e.code === 'limit' && /maxCandidates/.test(e.message),
  );
});
