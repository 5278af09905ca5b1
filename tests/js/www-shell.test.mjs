// Issue 9: the page is a shell. Its answers come from the engine (each result's `view`, the
// summary, parseExceptions, exportCsv / exportTable), so www/ must not grow its own copies of
// engine logic again: exception evaluation, wildcard matching, field-path lookups into events,
// timestamp parsing, CSV writing or TaskContent decoding. This test reads every script of the
// page and fails on the constructs those copies were made of.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './shared.mjs';

const www = join(repoRoot, 'www');
const scripts = readdirSync(www, { recursive: true })
  .filter((f) => f.endsWith('.js'))
  .map((f) => ({ file: f, text: readFileSync(join(www, f), 'utf8') }));

const FORBIDDEN = [
  [/Date\.parse\s*\(|new Date\([^)]*(createdAt|created|timestamp)/, 'timestamps are parsed by the engine (view.created_ms / deleted_ms)'],
  [/new RegExp\s*\(/, 'no pattern matching of event data (wildcards are the engine\'s)'],
  [/\._source\s*(\?\.|\.|\[)/, 'no field lookups into events (the engine\'s view has the facts)'],
  [/itemMatches|entryMatches|wildcardMatch|suppressedBy/, 'exceptions are evaluated and counted by the engine'],
  [/DOMParser|getElementsByTagNameNS/, 'TaskContent is decoded by the engine (view.scheduled_task)'],
  [/toCsv|csvField|\.join\(','\)/, 'CSV is the engine\'s (exportCsv)'],
];

test('the page\'s scripts hold no copy of engine logic', () => {
  assert.ok(scripts.length >= 10, `found only ${scripts.length} scripts under www/`);
  const found = [];
  for (const { file, text } of scripts) {
    for (const [pattern, why] of FORBIDDEN) {
      const m = text.match(pattern);
      if (m) found.push(`${file}: \`${m[0]}\`: ${why}`);
    }
  }
  assert.deepEqual(found, []);
});

test('the worker runs one Correlator per run with the engine\'s views, and no baseline', () => {
  const worker = scripts.find((s) => s.file.endsWith('worker.js')).text;
  // One in run(); the only other one is the start-up warm-up's, whose results are thrown away.
  const body = (name) => worker.slice(worker.indexOf(`function ${name}(`)).split('\n}\n')[0];
  assert.equal(body('run').match(/new api\.Correlator\(/g)?.length, 1);
  assert.equal(body('warmUp').match(/new api\.Correlator\(/g)?.length, 1);
  assert.equal(worker.match(/new api\.Correlator\(/g)?.length, 2);
  assert.match(worker, /views = true/);
  assert.match(worker, /exportCsv\(\)/);
  assert.match(worker, /exportTable\(\)/);
});
