// The JS API of the built package (pkg/node.js, the Node ESM entry), layer by layer: queries,
// errors at the JS edge (UTF-16 offsets), options checking, streaming, and the seed rule.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Query, Correlator, parseQuery, builtinRules, version, EqlError } from '../../pkg/node.js';
import { repoRoot, sharedDir, jsProcessorEraNdjson } from './shared.mjs';

const sample = readFileSync(join(repoRoot, 'www', 'sample.ndjson'), 'utf8');
const cargoVersion = readFileSync(join(repoRoot, 'Cargo.toml'), 'utf8').match(/^version = "(.*)"$/m)[1];
const seedKeys = [['WKS-FIN-07.corp.example', '\\OneDrive Sync Helper']];

function thrown(f) {
  try {
    f();
  } catch (e) {
    return e;
  }
  assert.fail('expected an exception');
}

function runAll(correlator, chunks) {
  const results = [];
  for (const chunk of chunks) results.push(...correlator.push(chunk));
  const done = correlator.finish();
  return { results: [...results, ...done.results], summary: done.summary };
}

test('version() is the crate version', () => {
  assert.equal(version(), cargoVersion);
});

test('the built-in rule is listed with id, name and query text', () => {
  const rules = builtinRules();
  assert.ok(rules.length >= 1);
  const [seed] = rules;
  assert.equal(typeof seed.id, 'string');
  assert.match(seed.name, /Temporarily Scheduled Task Creation/i);
  assert.match(seed.query, /sequence by winlog\.computer_name, winlog\.event_data\.TaskName with maxspan\s*=\s*5m/);
});

test('Query exposes what the compiled query reads and how it joins', () => {
  const q = new Query('sequence by host.name with maxspan=2m [process where true] [file where file.name : "*.exe"]');
  try {
    assert.equal(q.kind, 'sequence');
    assert.deepEqual(q.joinKeys, ['host.name']);
    assert.equal(q.maxspanMs, 120_000);
    for (const f of ['host.name', 'file.name', 'event.category', '@timestamp']) assert.ok(q.fields.includes(f), f);
  } finally {
    q.free();
  }
  const e = new Query('process where process.name == "cmd.exe"');
  assert.equal(e.kind, 'event');
  assert.deepEqual(e.joinKeys, []);
  assert.equal(e.maxspanMs, undefined);
  e.free();
});

test('parseQuery describes a query without keeping a handle', () => {
  const info = parseQuery('sequence by user.name with maxspan=30s [iam where true] [iam where true]');
  assert.equal(info.kind, 'sequence');
  assert.deepEqual(info.joinKeys, ['user.name']);
  assert.equal(info.maxspanMs, 30_000);
  assert.ok(Array.isArray(info.fields));
});

test('query errors are EqlErrors with a stable code, position in UTF-16 units, and caret text', () => {
  // The emoji is 2 UTF-16 units and 4 UTF-8 bytes: offsets must be in String.slice units.
  const text = 'process where process.name == "😀" and and';
  const e = thrown(() => new Query(text));
  assert.ok(e instanceof EqlError);
  assert.ok(e instanceof Error);
  assert.equal(e.name, 'EqlError');
  assert.equal(e.code, 'syntax');
  assert.equal(typeof e.message, 'string');
  assert.equal(e.line, 1);
  assert.ok(e.start >= text.indexOf('and and') + 4, `start ${e.start}`);
  assert.equal(text.slice(e.start, e.end), 'and');
  assert.equal(e.column, [...text.slice(0, e.start)].length + 1, 'column counts characters');
  assert.match(e.caret, /\^/);
  const p = thrown(() => parseQuery(text));
  assert.ok(p instanceof EqlError);
  assert.equal(p.start, e.start);
});

test('Correlator options: unknown keys and wrong types are rejected by name', () => {
  const unknown = thrown(() => new Correlator({ rule: builtinRules()[0].id, timestampFeild: 'ts' }));
  assert.ok(unknown instanceof EqlError);
  assert.equal(unknown.code, 'option');
  assert.match(unknown.message, /timestampFeild/);
  const wrongType = thrown(() => new Correlator({ query: 'process where true', size: 'ten' }));
  assert.ok(wrongType instanceof EqlError);
  assert.match(wrongType.message, /size/);
  // Neither: the built-in rule, as in the CLI.
  const neither = new Correlator({});
  assert.equal(neither.finish().results.length, 0);
  const both = thrown(() => new Correlator({ query: 'process where true', rule: builtinRules()[0].id }));
  assert.match(both.message, /query.*rule|rule.*query/);
  const badRule = thrown(() => new Correlator({ rule: 'no-such-rule' }));
  assert.ok(badRule instanceof EqlError);
  const notObject = thrown(() => new Correlator('process where true'));
  assert.ok(notObject instanceof EqlError);
});

test('the pre-filter and the projection change no answer in the wasm path', () => {
  const query = 'sequence by host.name with maxspan=1h [any where event.code : "46*"] [any where user.name != null]';
  const answers = [];
  for (const prefilter of [true, false]) {
    for (const projection of [true, false]) {
      for (const options of [{ rule: builtinRules()[0].id }, { query }, { query: 'any where true' }]) {
        const { results, summary } = runAll(new Correlator({ ...options, prefilter, projection }), [sample]);
        answers.push({ key: JSON.stringify(options), results: JSON.stringify(results), records: summary.records_read });
      }
    }
  }
  const byOptions = new Map();
  for (const a of answers) byOptions.set(a.key, [...(byOptions.get(a.key) ?? []), a]);
  for (const [key, runs] of byOptions) {
    assert.equal(runs.length, 4, key);
    for (const run of runs) assert.deepEqual(run, runs[0], key);
  }
  assert.ok(answers.some((a) => a.results.length > 2), 'some runs have results');
  const bad = thrown(() => new Correlator({ projection: 'yes' }));
  assert.match(bad.message, /projection/);
});

test('the built-in rule finds the one create/delete pair of the sample', () => {
  const { results, summary } = runAll(new Correlator({ rule: builtinRules()[0].id }), [sample]);
  assert.deepEqual(results.map((r) => r.join_keys), seedKeys);
  const [created, deleted] = results[0].events;
  assert.equal(created._source.event.action, 'scheduled-task-created');
  assert.equal(deleted._source.event.action, 'scheduled-task-deleted');
  assert.equal(created._provenance.line, 3);
  // 9 records; those that provably pass no stage are skipped unparsed by the pre-filter.
  assert.equal(summary.records_read, 9);
  assert.equal(summary.events_seen + summary.prefiltered, 9);
  assert.ok(summary.prefiltered > 0, 'the pre-filter runs in the wasm path too');
  // Results are plain JSON values (no Map objects), ready for JSON.stringify.
  assert.equal(Object.getPrototypeOf(results[0]), Object.prototype);
  assert.equal(Object.getPrototypeOf(created._source), Object.prototype);
});

test('push() accepts bytes split anywhere, including inside a UTF-8 character', () => {
  const text = sample.replaceAll('jdoe', 'jdöe');
  const bytes = new TextEncoder().encode(text);
  const expected = runAll(new Correlator({ rule: builtinRules()[0].id }), [bytes]).results;
  assert.equal(expected.length, 1);
  const at = bytes.indexOf(0xc3); // first byte of ö
  for (const cut of [1, at + 1, Math.floor(bytes.length / 2), bytes.length - 1]) {
    const got = runAll(new Correlator({ rule: builtinRules()[0].id }), [bytes.subarray(0, cut), bytes.subarray(cut)]);
    assert.deepEqual(got.results, expected, `cut at ${cut}`);
  }
  assert.equal(expected[0].events[0]._source.user.name, 'jdöe');
});

test('pushEvent and pushEvents take objects and agree with NDJSON', () => {
  const events = sample.trim().split('\n').map((l) => JSON.parse(l));
  const one = new Correlator({ rule: builtinRules()[0].id });
  const results = events.flatMap((e) => one.pushEvent(e));
  results.push(...one.finish().results);
  const many = new Correlator({ rule: builtinRules()[0].id });
  const batch = [...many.pushEvents(events), ...many.finish().results];
  assert.deepEqual(results.map((r) => r.join_keys), seedKeys);
  assert.deepEqual(batch.map((r) => r.join_keys), seedKeys);
  assert.ok(thrown(() => new Correlator({ query: 'any where true' }).pushEvent(42)) instanceof EqlError);
});

test('an unreadable line is reported with its line and the rest is still matched', () => {
  const lines = sample.split('\n');
  lines.splice(1, 0, '{"@timestamp": "2024-05-02T09:12:50Z", "event": {');
  const c = new Correlator({ rule: builtinRules()[0].id });
  const { results, summary } = runAll(c, [lines.join('\n')]);
  assert.deepEqual(results.map((r) => r.join_keys), seedKeys);
  assert.equal(summary.input_error_count, 1);
  assert.equal(summary.input_errors[0].line, 2);
  assert.equal(typeof summary.input_errors[0].reason, 'string');
});

test('a query given as text, with options, runs too', () => {
  const c = new Correlator({
    query: 'iam where event.action == "scheduled-task-deleted"',
    timestampField: '@timestamp',
    eventCategoryField: 'event.category',
    size: 1,
    resultPosition: 'head',
  });
  const { results } = runAll(c, [sample]);
  assert.equal(results.length, 1);
  assert.equal(results[0].events[0]._source.user.name, 'jdoe');
});

test('the seed rule over the js-processor-era Winlogbeat events gives exactly one match', (t) => {
  const shared = sharedDir();
  if (shared.skip) return t.skip(shared.skip);
  const { ndjson, count } = jsProcessorEraNdjson(shared.dir);
  const { results, summary } = runAll(new Correlator({ rule: builtinRules()[0].id }), [ndjson]);
  assert.deepEqual(results.map((r) => r.join_keys), [['DC_TEST2k12.TEST.SAAS', '\\test1']]);
  assert.equal(summary.events_seen, count);
});

test('a detection-rules TOML file given as `rule` runs; a broken one is an EqlError', (t) => {
  const broken = thrown(() => new Correlator({ rule: '[rule]\nlanguage = "kuery"\nquery = "a:b"\n' }));
  assert.ok(broken instanceof EqlError);
  assert.match(broken.message, /^option `rule`: /);
  const shared = sharedDir();
  if (shared.skip) return t.skip(shared.skip);
  const toml = readFileSync(join(shared.dir, 'fixtures', 'rules', 'persistence_temp_scheduled_task.seed-query.toml'), 'utf8');
  const { results } = runAll(new Correlator({ rule: toml }), [sample]);
  assert.deepEqual(results.map((r) => r.join_keys), seedKeys);
});
