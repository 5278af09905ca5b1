// Elasticsearch's EQL QA suite through every shell a user runs (issue 9): the native CLI binary
// with its default literal pre-filter, and the packed npm package under Node, through
// `Correlator` and through `createCorrelatorStream`. tests/conformance.rs runs the same files
// through the library. Each case runs as Elasticsearch's harness runs it (HARNESS.md): size 50,
// and the expected ids must hold under both `head` and `tail`; join keys are compared when the
// spec lists them. The language corpus tests/data/lang runs through the same shells. Each shell prints agree/total per file and fails below the floor recorded in
// tests/data/conformance-shells-floor.json.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parse as parseToml } from 'smol-toml';
import { installPacked, nativeBinary, repoRoot, sharedDir } from './shared.mjs';

const shared = sharedDir();
const suite = shared.dir && join(shared.dir, 'conformance', 'elasticsearch-eql');
const skips = parseToml(readFileSync(join(repoRoot, 'tests', 'data', 'conformance-skips.toml'), 'utf8')).skip;
const floor = JSON.parse(readFileSync(join(repoRoot, 'tests', 'data', 'conformance-shells-floor.json'), 'utf8'));

/** A JSON array file; ES's loader allows `//` comment lines (HARNESS.md, Loading). */
const jsonArray = (name) => JSON.parse(readFileSync(join(suite, name), 'utf8').replace(/^\s*\/\/.*$/gm, ''));

/** The datasets as HARNESS.md loads them, as NDJSON, with their tiebreaker / id field. */
function datasets() {
  const endgame = jsonArray('endgame-140.json').map((e) => ({ ...e, '@timestamp': Math.trunc(e.timestamp / 10000) - 11644473600000 }));
  return {
    endgame: { events: endgame, tiebreaker: 'serial_event_id' },
    extra: { events: jsonArray('extra.data'), tiebreaker: 'sequence' },
    missing: { events: jsonArray('missing-events.data'), tiebreaker: 'sequence' },
  };
}

const FILES = [
  ['test_queries.toml', 'endgame'],
  ['additional_test_queries.toml', 'endgame'],
  ['test_extra.toml', 'extra'],
  ['test_missing_events.toml', 'missing'],
];

/** `[[queries]]` of a spec file; `join_keys = [null]` is not TOML, ES's loader reads "null". */
function cases(file) {
  let inKeys = false;
  const text = readFileSync(join(suite, file), 'utf8')
    .split('\n')
    .map((line) => {
      inKeys ||= line.trimStart().startsWith('join_keys');
      const out = inKeys ? line.replaceAll('"null"', 'null').replaceAll('null', '"null"') : line;
      if (line.includes(']')) inKeys = false;
      return out;
    })
    .join('\n');
  return parseToml(text).queries.map((q) => ({
    file,
    name: q.name.trim(),
    query: q.query.trim(),
    expected: q.expected_event_ids.map(Number),
    joinKeys: q.join_keys?.map(String),
  }));
}

/**
 * The data-driven language corpus (tests/data/lang/*.toml, which the library runs in
 * tests/lang_conformance.rs): each event query's matching events, as result ids. Events get an
 * id field and, when they have none, a timestamp in input order. Cases that check one stage of
 * a sequence (`stage = N`) are left to the library runner: a shell returns sequences, not the
 * hits of one stage.
 */
function langCases() {
  const dir = join(repoRoot, 'tests', 'data', 'lang');
  const out = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.toml')).sort()) {
    const spec = parseToml(readFileSync(join(dir, file), 'utf8'));
    if (!spec.events) continue;
    const events = JSON.parse(spec.events).map((e, i) => ({ '@timestamp': 1_700_000_000_000 + i * 1000, ...e, _lang_id: i }));
    const set = { events, tiebreaker: '_lang_id', ndjson: `${events.map((e) => JSON.stringify(e)).join('\n')}\n` };
    for (const c of spec.case ?? []) {
      if (c.stage !== undefined) continue;
      out.push({
        file: `lang/${file}`,
        name: `lang/${file}: ${c.name}`,
        query: c.query,
        expected: c.expected,
        lang: { set, categoryField: c.category_field ?? 'event.category' },
      });
    }
  }
  return out;
}

let packed;
let api;
let streamApi;
let scratch;
let data;
let allCases;

before(async () => {
  if (shared.skip) return;
  packed = await installPacked();
  api = await import(packed.nodeModule);
  streamApi = await import(packed.streamModule);
  scratch = mkdtempSync(join(tmpdir(), 'eqlite-conformance-'));
  data = datasets();
  for (const [name, set] of Object.entries(data)) {
    set.ndjson = `${set.events.map((e) => JSON.stringify(e)).join('\n')}\n`;
    set.path = join(scratch, `${name}.ndjson`);
    writeFileSync(set.path, set.ndjson);
  }
  allCases = FILES.flatMap(([file, set]) => cases(file).map((c) => ({ ...c, set })));
  for (const c of langCases()) {
    const name = `lang${allCases.length}`;
    c.lang.set.path = join(scratch, `${name}.ndjson`);
    writeFileSync(c.lang.set.path, c.lang.set.ndjson);
    data[name] = c.lang.set;
    allCases.push({ ...c, set: name, categoryField: c.lang.categoryField });
  }
});

after(() => {
  packed?.cleanup();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

/** Flattened ids (a missing-event placeholder is -1) and join keys as strings. */
function answer(results, tiebreaker) {
  const ids = results.flatMap((r) => r.events.map((e) => (e.missing ? -1 : Number(e._source[tiebreaker]))));
  const keys = results.flatMap((r) => (r.join_keys ?? []).map((k) => (k === null ? 'null' : String(k))));
  return { ids, keys };
}

const options = (set, position, c) => ({
  format: 'ndjson',
  tiebreakerField: set.tiebreaker,
  eventCategoryField: c.categoryField ?? 'event_type',
  size: 50,
  resultPosition: position,
});

const SHELLS = {
  'native CLI': (c, set, position) => {
    const o = options(set, position, c);
    const out = spawnSync(nativeBinary(), [
      'run', '--query', c.query, '--format', o.format, '--tiebreaker-field', o.tiebreakerField,
      '--event-category-field', o.eventCategoryField, '--size', '50', '--result-position', position, set.path,
    ], { encoding: 'utf8' });
    if (out.status !== 0) throw new Error(out.stderr.trim());
    return out.stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line));
  },
  Correlator: (c, set, position) => {
    const correlator = new api.Correlator({ query: c.query, ...options(set, position, c) });
    try {
      const results = correlator.push(set.ndjson);
      results.push(...correlator.finish().results);
      return results;
    } finally {
      correlator.free();
    }
  },
  'Node stream': async (c, set, position) => {
    const results = [];
    await pipeline(
      Readable.from([set.ndjson]),
      streamApi.createCorrelatorStream({ query: c.query, ...options(set, position, c) }),
      new Writable({ objectMode: true, write(r, _, done) { results.push(r); done(); } }),
    );
    return results;
  },
};

for (const [shell, run] of Object.entries(SHELLS)) {
  test(`Elasticsearch QA suite through ${shell}`, async (t) => {
    if (shared.skip) return t.skip(shared.skip);
    const perFile = new Map();
    const failures = [];
    let agree = 0;
    let skipped = 0;
    for (const c of allCases) {
      const tally = perFile.get(c.file) ?? { agree: 0, total: 0 };
      perFile.set(c.file, tally);
      if (skips[c.name]) {
        skipped += 1;
        continue;
      }
      tally.total += 1;
      const set = data[c.set];
      let ok = true;
      for (const position of ['head', 'tail']) {
        let got;
        try {
          got = answer(await run(c, set, position), set.tiebreaker);
        } catch (error) {
          failures.push(`${c.name} (${position}): ${error.message}`);
          ok = false;
          break;
        }
        const keysOk = !c.joinKeys?.length || JSON.stringify(got.keys) === JSON.stringify(c.joinKeys);
        if (JSON.stringify(got.ids) !== JSON.stringify(c.expected) || !keysOk) {
          failures.push(`${c.name} (${position}): expected ${JSON.stringify(c.expected)} keys ${JSON.stringify(c.joinKeys)}, got ${JSON.stringify(got.ids)} keys ${JSON.stringify(got.keys)}`);
          ok = false;
          break;
        }
      }
      if (ok) {
        agree += 1;
        tally.agree += 1;
      }
    }
    for (const [file, { agree: a, total }] of perFile) t.diagnostic(`${shell}: ${file}: ${a}/${total} agree`);
    t.diagnostic(`${shell}: ${agree}/${allCases.length - skipped} agree, ${skipped} skipped (tests/data/conformance-skips.toml)`);
    for (const failure of failures) t.diagnostic(`disagrees: ${failure}`);
    assert.ok(agree >= floor[shell], `${shell}: ${agree} agree, below the floor ${floor[shell]}:\n${failures.join('\n')}`);
  });
}
