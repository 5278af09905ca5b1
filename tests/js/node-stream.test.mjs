// The Node pipeline faces of the package: `eqlite/stream` (a Transform), the `npx eqlite` CLI,
// chunking at every byte boundary, and flat memory over a 100 MB input pushed in 1 MB chunks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Correlator } from '../../pkg/node.js';
import { createCorrelatorStream } from '../../pkg/stream.js';
import { repoRoot } from './shared.mjs';

const sample = readFileSync(join(repoRoot, 'www', 'sample.ndjson'), 'utf8');
const cli = join(repoRoot, 'pkg', 'bin', 'eqlite.js');

/** A winlogbeat-shaped scheduled-task event (the fields the built-in rule reads). */
function taskEvent(ms, code, host, task, user = 'analyst') {
  const created = code === 4698;
  return {
    '@timestamp': new Date(ms).toISOString(),
    event: { action: created ? 'scheduled-task-created' : 'scheduled-task-deleted', category: ['iam', 'configuration'], code: String(code) },
    user: { name: user },
    winlog: { computer_name: host, event_data: { TaskName: task, SubjectUserName: user } },
  };
}

function keysOf(results) {
  return results.map((r) => JSON.stringify(r.join_keys));
}

test('push() at every byte boundary of a multi-record input gives the same results', () => {
  const base = Date.UTC(2024, 0, 1);
  const lines = [
    taskEvent(base, 4698, 'HOST-é', '\\Task ü'),
    taskEvent(base + 500, 4698, 'HOST-B', '\\Other'),
    taskEvent(base + 1_000, 4699, 'HOST-é', '\\Task ü'),
    taskEvent(base + 2_000, 4699, 'HOST-B', '\\Other'),
  ].map((e) => JSON.stringify(e)).join('\n') + '\n';
  const bytes = new TextEncoder().encode(lines);
  const whole = new Correlator({ format: 'ndjson' });
  const expected = [...whole.push(bytes), ...whole.finish().results];
  assert.equal(expected.length, 2);
  for (let cut = 1; cut < bytes.length; cut += 1) {
    const c = new Correlator({ format: 'ndjson' });
    const got = [...c.push(bytes.subarray(0, cut)), ...c.push(bytes.subarray(cut)), ...c.finish().results];
    assert.deepEqual(got, expected, `split at byte ${cut}`);
  }
});

test('createCorrelatorStream works in stream.pipeline and emits a summary', async () => {
  const results = [];
  let summary;
  const stream = createCorrelatorStream({}, { fileName: 'sample.ndjson' });
  stream.on('summary', (s) => { summary = s; });
  await pipeline(
    Readable.from([sample.slice(0, 100), sample.slice(100)]),
    stream,
    new Writable({ objectMode: true, write(r, _e, cb) { results.push(r); cb(); } }),
  );
  assert.equal(results.length, 1);
  assert.equal(results[0].events[0]._provenance.file, 'sample.ndjson');
  assert.ok(summary.events_seen > 0);
  assert.equal(summary.matches, 1);
});

test('the stream supports async iteration and reports unreadable records without dying', async () => {
  const stream = createCorrelatorStream({ format: 'ndjson' });
  const problems = [];
  stream.on('inputError', (p) => problems.push(p));
  stream.end(`not json\n${sample}`);
  const results = [];
  for await (const result of stream) results.push(result);
  assert.equal(results.length, 1);
  assert.equal(problems.length, 1);
  assert.equal(problems[0].line, 1);
});

test('the stream hands out the readers\' notes and the run\'s warnings, as the CLI prints them', async () => {
  const stream = createCorrelatorStream({ format: 'ndjson' }, { fileName: 'x.ndjson' });
  const notes = [];
  const warnings = [];
  stream.on('note', (n) => notes.push(n));
  stream.on('warning', (w) => warnings.push(w));
  // A scheduled-task event without a timestamp cannot be correlated: a warning names it.
  stream.end('{"event": {"action": "scheduled-task-created", "category": ["iam"]}, "user": {"name": "a"}}\n');
  for await (const _ of stream);
  assert.deepEqual(warnings.slice(0, 2), [
    'eqlite: warning: 1 event(s) skipped for lack of a usable @timestamp',
    warnings[1]?.startsWith('  x.ndjson:1: ') ? warnings[1] : '  x.ndjson:1: (a reason)',
  ]);
  const empty = createCorrelatorStream({}, { fileName: 'empty.json' });
  empty.on('note', (n) => notes.push(n));
  empty.end('');
  for await (const _ of empty);
  assert.equal(notes.length, 2, JSON.stringify(notes));
  // The built-in rule's note: an event without @timestamp is no Windows event data.
  assert.match(notes[0].text, /^note: x\.ndjson: no record has both @timestamp and an event identity/);
  assert.deepEqual(notes[1], { kind: 'note', file: 'empty.json', text: 'note: empty.json: the input is empty' });
});

test('strict mode destroys the stream on the first unreadable record', async () => {
  const stream = createCorrelatorStream({ format: 'ndjson' }, { strict: true });
  stream.end('{"broken": \n');
  await assert.rejects(async () => { for await (const _ of stream); }, /unreadable input/);
});

test('a bad query throws synchronously, before any piping', () => {
  assert.throws(() => createCorrelatorStream({ query: 'process where' }), { name: 'EqlError' });
});

test('back-pressure: a slow consumer holds the producer (bounded readable buffer)', async () => {
  const base = Date.UTC(2024, 0, 1);
  const pairs = 400;
  const lines = [];
  for (let i = 0; i < pairs; i += 1) {
    lines.push(JSON.stringify(taskEvent(base + i * 10, 4698, `H${i}`, '\\t')));
    lines.push(JSON.stringify(taskEvent(base + i * 10 + 1, 4699, `H${i}`, '\\t')));
  }
  const stream = createCorrelatorStream({ reorderWindow: 0 }, { highWaterMark: 4 });
  let maxBuffered = 0;
  let seen = 0;
  const slow = new Writable({
    objectMode: true,
    highWaterMark: 1,
    write(_r, _e, cb) {
      seen += 1;
      maxBuffered = Math.max(maxBuffered, stream.readableLength);
      setImmediate(cb);
    },
  });
  // One line per chunk, so the Transform can pause between results.
  await pipeline(Readable.from(lines.map((l) => `${l}\n`)), stream, slow);
  assert.equal(seen, pairs);
  // Without back-pressure the fast producer would have buffered nearly all 400 results.
  assert.ok(maxBuffered < pairs / 4, `readable side buffered ${maxBuffered} results`);
});

test('npx eqlite run: NDJSON results, --query, exit codes 0 / 1 / 2', () => {
  const dir = mkdtempSync(join(tmpdir(), 'eqlite-cli-'));
  try {
    const file = join(dir, 'sample.ndjson');
    writeFileSync(file, sample);
    const ok = spawnSync(process.execPath, [cli, 'run', file], { encoding: 'utf8' });
    assert.equal(ok.status, 0, ok.stderr);
    const lines = ok.stdout.trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(lines.length, 1);
    assert.equal(lines[0].events.length, 2);

    const viaStdin = spawnSync(process.execPath, [cli, 'run', '--query', 'iam where event.action == "scheduled-task-created"'], { input: sample, encoding: 'utf8' });
    assert.equal(viaStdin.status, 0, viaStdin.stderr);
    assert.ok(viaStdin.stdout.trim().split('\n').every((l) => JSON.parse(l).events.length === 1));

    const badQuery = spawnSync(process.execPath, [cli, 'run', '--query', 'process where (', file], { encoding: 'utf8' });
    assert.equal(badQuery.status, 2);
    assert.match(badQuery.stderr, /\^/);

    const missing = spawnSync(process.execPath, [cli, 'run', join(dir, 'nope.ndjson')], { encoding: 'utf8' });
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /nope\.ndjson/);

    writeFileSync(join(dir, 'mixed.ndjson'), `garbage\n${sample}`);
    const mixed = spawnSync(process.execPath, [cli, 'run', '--format', 'ndjson', join(dir, 'mixed.ndjson')], { encoding: 'utf8' });
    assert.equal(mixed.status, 1);
    assert.equal(mixed.stdout.trim().split('\n').length, 1, 'the valid records are still matched');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('memory stays flat over 100 MB pushed in 1 MB chunks', () => {
  // In a child with --expose-gc, instantiating the wasm itself so that its linear memory (which
  // never shrinks: any growth would stay visible) can be read next to the process RSS.
  const dist = join(repoRoot, 'pkg', 'dist');
  const script = `
    import { readFileSync } from 'node:fs';
    import { initSync, Correlator } from ${JSON.stringify(join(dist, 'eqlite.js'))};
    const wasm = initSync({ module: readFileSync(${JSON.stringify(join(dist, 'eqlite_bg.wasm'))}) });
    const base = Date.UTC(2024, 0, 1);
    const encoder = new TextEncoder();
    const mb = 1 << 20;
    let n = 0;
    const line = (ms, created, host) => JSON.stringify({
      '@timestamp': new Date(ms).toISOString(),
      event: { action: created ? 'scheduled-task-created' : 'scheduled-task-deleted', category: ['iam'] },
      user: { name: 'analyst' },
      winlog: { computer_name: host, event_data: { TaskName: '\\\\t' } },
      pad: 'x'.repeat(600),
    });
    // Distinct keys with a pair now and then: state must be swept by maxspan, so memory follows
    // open sequences (5 minutes of events), not the input.
    const chunk = () => {
      const parts = [];
      let size = 0;
      while (size < mb) {
        n += 1;
        const text = n % 50 === 0 ? line(base + n * 20, false, 'H' + (n - 1)) : line(base + n * 20, true, 'H' + n);
        parts.push(text, '\\n');
        size += text.length + 1;
      }
      return encoder.encode(parts.join(''));
    };
    // Stream mode: every event here is a candidate, and batch mode holds candidates by design.
    const c = new Correlator({ format: 'ndjson', reorderWindow: 120000 });
    let matches = 0;
    const rss = [];
    const linear = [];
    for (let i = 0; i < 100; i += 1) {
      matches += c.push(chunk()).length;
      if (i === 29 || i === 99) {
        globalThis.gc();
        rss.push(process.memoryUsage().rss);
        linear.push(wasm.memory.buffer.byteLength);
      }
    }
    matches += c.finish().results.length;
    c.free();
    console.log(JSON.stringify({ matches, rss: rss[1] - rss[0], linear: linear[1] - linear[0] }));
  `;
  const child = spawnSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(child.status, 0, child.stderr);
  const { matches, rss, linear } = JSON.parse(child.stdout);
  assert.ok(matches > 2000, `${matches} matches`);
  const mb = 1 << 20;
  assert.ok(linear <= 8 * mb, `wasm memory grew by ${(linear / mb).toFixed(1)} MB between 30 MB and 100 MB of input`);
  // V8's own heap settles slowly; a generous bound still catches results or records kept alive.
  assert.ok(rss < 64 * mb, `RSS grew by ${(rss / mb).toFixed(1)} MB between 30 MB and 100 MB of input`);
});

test('joinKeysOf routes events so that partitioned workers give the one-process answer', () => {
  const base = Date.UTC(2024, 0, 1);
  const events = [];
  for (let i = 0; i < 40; i += 1) {
    events.push(taskEvent(base + i * 1000, 4698, `H${i % 7}`, `\\T${i % 3}`));
    events.push(taskEvent(base + i * 1000 + 500, 4699, `H${(i + 1) % 7}`, `\\T${i % 3}`));
  }
  events.push({ '@timestamp': new Date(base).toISOString(), event: { action: 'logged-in', category: ['authentication'] } });
  const router = new Correlator({});
  assert.deepEqual(router.joinKeysOf(events[0]), [['H0', '\\T0']]);
  assert.deepEqual(router.joinKeysOf(events.at(-1)), [], 'an event no stage takes has no key');

  const one = new Correlator({});
  const expected = [...one.pushEvents(events), ...one.finish().results];
  assert.ok(expected.length > 0);
  const workers = [new Correlator({}), new Correlator({})];
  const owner = (key) => [...JSON.stringify(key)].reduce((h, ch) => h + ch.charCodeAt(0), 0) % workers.length;
  const partitioned = [];
  for (const event of events) {
    for (const key of router.joinKeysOf(event)) partitioned.push(...workers[owner(key)].pushEvent(event));
  }
  for (const w of workers) partitioned.push(...w.finish().results);
  const sortKey = (r) => JSON.stringify([r.events.at(-1)._source['@timestamp'], r.join_keys]);
  assert.deepEqual(
    partitioned.map(sortKey).sort(),
    expected.map(sortKey).sort(),
  );
});

test('exceptions drop events before matching; summary() reports mid-run; parseRule describes a rule', async () => {
  const { parseRule, builtinRules } = await import('../../pkg/node.js');
  const plain = new Correlator({});
  const before = plain.push(sample);
  const midway = plain.summary();
  assert.ok(midway.events_seen > 0, 'summary() works before finish()');
  const all = [...before, ...plain.finish().results];
  assert.equal(all.length, 1);
  const user = all[0].events[0]._source.user.name;

  const excluded = new Correlator({
    exceptions: [{ entries: [{ field: 'user.name', operator: 'included', type: 'match', value: user }] }],
  });
  const kept = [...excluded.push(sample), ...excluded.finish().results];
  assert.equal(kept.length, 0, 'the exception removed the pair');

  assert.throws(
    () => new Correlator({ exceptions: [{ entries: [{ field: 'x', operator: 'sometimes', type: 'match', value: 'y' }] }] }),
    (e) => e.name === 'EqlError' && /exceptions/.test(e.message),
  );

  const rule = parseRule(builtinRules()[0].id);
  assert.equal(rule.severity, 'medium');
  assert.match(rule.query, /sequence by winlog\.computer_name/);
  assert.throws(() => parseRule('this is [not toml'), { name: 'EqlError' });
});
