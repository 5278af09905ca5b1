// Elasticsearch's EQL QA suite (all nine spec files of shared/conformance/elasticsearch-eql)
// through every shell a user runs (issues 9 and 13): the native CLI binary with its default
// literal pre-filter, and the packed npm package under Node, through `Correlator` and through
// `createCorrelatorStream`. tests/conformance.rs runs the same files through the library. Each
// case runs as Elasticsearch's harness runs it (HARNESS.md): each file over its index or
// indices, with their mappings passed (CLI `--mapping FILE` per index, JS option `mapping`),
// events given as Elasticsearch hits (`_index` + `_source`) so each takes its index's mapping,
// size 50 unless the spec sets one, `max_samples_per_key` from the spec, and the expected ids
// must hold under both `head` and `tail` (a list of lists gives alternatives); join keys are
// compared when the spec lists them. The language corpus tests/data/lang runs through the same
// shells. Each shell prints agree/total per file and fails below the floor recorded in
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
const skips = parseToml(readFileSync(join(repoRoot, 'tests', 'data', 'conformance-skips.toml'), 'utf8')).skip ?? {};
const floor = JSON.parse(readFileSync(join(repoRoot, 'tests', 'data', 'conformance-shells-floor.json'), 'utf8'));

/**
 * A JSON array file; ES's loader allows `//` comment lines (HARNESS.md, Loading). The endgame
 * FILETIME `timestamp`s exceed 2^53, so they are read as BigInts (a JS number would lose the
 * digits the nanosecond index keeps).
 */
const jsonArray = (name) => JSON.parse(
  readFileSync(join(suite, name), 'utf8')
    .replace(/^\s*\/\/.*$/gm, '')
    .replace(/"timestamp":\s*(\d+)/g, '"timestamp": "$1"'),
).map((e) => (typeof e.timestamp === 'string' ? { ...e, timestamp: BigInt(e.timestamp) } : e));

/** JSON text of an event whose BigInt fields are written as JSON integers, digit for digit. */
const toJson = (value) => JSON.stringify(value, (_, v) => (typeof v === 'bigint' ? `\u0000${v}\u0000` : v))
  .replace(/"\\u0000(\d+)\\u0000"/g, '$1');

/** A mapping file as DataLoader reads it: `#` lines dropped, the keyword placeholder replaced. */
const mappingOf = (name) => JSON.parse(
  readFileSync(join(suite, name), 'utf8')
    .split('\n').filter((l) => !l.trimStart().startsWith('#')).join('\n')
    .replaceAll('[runtime_random_keyword_type]', 'keyword'),
);

/** DataLoader's transforms (HARNESS.md): only the endgame indices change. */
function transform(index, e) {
  if (index === 'endgame-140') return { ...e, '@timestamp': Number(e.timestamp / 10000n - 11644473600000n) };
  if (index === 'endgame-140-nanos') {
    const digits = e.timestamp.toString();
    const [head, rest] = [digits.slice(0, 12), digits.slice(12)];
    return { ...e, '@timestamp': /^0*$/.test(rest) ? head : `${head}.${rest}`, timestamp: e.timestamp / 1000000n };
  }
  return e;
}

/** Per dataset: its indices (name, data, mapping), tiebreaker and id field (HARNESS.md). */
const SETS = {
  endgame: { indices: [['endgame-140', 'endgame-140.json', 'endgame-140.mapping']], tiebreaker: 'serial_event_id' },
  nanos: { indices: [['endgame-140-nanos', 'endgame-140.json', 'endgame-140-nanos.mapping']], tiebreaker: 'serial_event_id' },
  extra: { indices: [['extra', 'extra.data', 'extra.mapping']], tiebreaker: 'sequence' },
  missing: { indices: [['missing-events', 'missing-events.data', 'missing-events.mapping']], tiebreaker: 'sequence' },
  sample: { indices: ['sample1', 'sample2', 'sample3'].map((i) => [i, `${i}.data`, `${i}.mapping`]), idField: 'id' },
  sampleMulti: { indices: [['sample-multi', 'sample-multi.data', 'sample-multi.mapping']], idField: 'id' },
  sampling: { indices: ['sampling1', 'sampling2', 'sampling3'].map((i) => [i, `${i}.data`, `${i}.mapping`]), idField: 'id' },
};

/** The datasets as HARNESS.md loads them: hits of their indices, and the indices' mappings. */
function datasets() {
  const out = {};
  for (const [name, set] of Object.entries(SETS)) {
    const hits = set.indices.flatMap(([index, data]) => jsonArray(data).map((e) => ({ _index: index, _source: transform(index, e) })));
    const mapping = Object.fromEntries(set.indices.map(([index, , file]) => [index, { mappings: mappingOf(file) }]));
    out[name] = { ...set, idField: set.idField ?? set.tiebreaker, hits, mapping };
  }
  return out;
}

const FILES = [
  ['test_queries.toml', 'endgame'],
  ['additional_test_queries.toml', 'endgame'],
  ['test_queries_date.toml', 'endgame'],
  ['test_queries_date_nanos.toml', 'nanos'],
  ['test_extra.toml', 'extra'],
  ['test_missing_events.toml', 'missing'],
  ['test_sample.toml', 'sample'],
  ['test_sample_multi.toml', 'sampleMulti'],
  ['test_sampling.toml', 'sampling'],
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
  return parseToml(text).queries.map((q) => {
    const ids = q.expected_event_ids;
    return {
      file,
      name: q.name.trim(),
      query: q.query.trim(),
      expected: Array.isArray(ids[0]) ? ids.map((a) => a.map(Number)) : [ids.map(Number)],
      joinKeys: q.join_keys?.map(String),
      size: q.size === undefined ? undefined : Number(q.size),
      maxSamplesPerKey: q.max_samples_per_key === undefined ? undefined : Number(q.max_samples_per_key),
    };
  });
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
    const set = { events, tiebreaker: '_lang_id', idField: '_lang_id', ndjson: `${events.map((e) => JSON.stringify(e)).join('\n')}\n` };
    for (const c of spec.case ?? []) {
      if (c.stage !== undefined) continue;
      out.push({
        file: `lang/${file}`,
        name: `lang/${file}: ${c.name}`,
        query: c.query,
        expected: [c.expected],
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
    set.ndjson = `${set.hits.map(toJson).join('\n')}\n`;
    set.path = join(scratch, `${name}.ndjson`);
    writeFileSync(set.path, set.ndjson);
    // One --mapping file per index, named after it and holding only `properties`: the CLI
    // names a mapping without an index name after its file.
    set.mappingFiles = Object.entries(set.mapping).map(([index, { mappings }]) => {
      const path = join(scratch, `${index}.json`);
      writeFileSync(path, JSON.stringify(mappings));
      return path;
    });
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
function answer(results, idField) {
  const ids = results.flatMap((r) => r.events.map((e) => (e.missing ? -1 : Number(e._source[idField]))));
  const keys = results.flatMap((r) => (r.join_keys ?? []).map((k) => (k === null ? 'null' : String(k))));
  return { ids, keys };
}

/** The JS options of a case: the harness's parameters and, for the QA files, the mappings. */
const options = (set, position, c) => ({
  format: 'ndjson',
  ...(set.tiebreaker ? { tiebreakerField: set.tiebreaker } : {}),
  ...(c.categoryField ? { eventCategoryField: c.categoryField } : {}),
  ...(set.mapping ? { mapping: set.mapping } : {}),
  ...(c.maxSamplesPerKey ? { maxSamplesPerKey: c.maxSamplesPerKey } : {}),
  size: c.size ?? 50,
  resultPosition: position,
});

const SHELLS = {
  'native CLI': (c, set, position) => {
    const o = options(set, position, c);
    const args = ['run', '--query', c.query, '--format', o.format, '--size', String(o.size), '--result-position', position];
    if (o.tiebreakerField) args.push('--tiebreaker-field', o.tiebreakerField);
    if (o.eventCategoryField) args.push('--event-category-field', o.eventCategoryField);
    if (o.maxSamplesPerKey) args.push('--max-samples-per-key', String(o.maxSamplesPerKey));
    for (const file of set.mappingFiles ?? []) args.push('--mapping', file);
    const out = spawnSync(nativeBinary(), [...args, set.path], { encoding: 'utf8' });
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
          got = answer(await run(c, set, position), set.idField);
        } catch (error) {
          failures.push(`${c.name} (${position}): ${error.message}`);
          ok = false;
          break;
        }
        const keysOk = !c.joinKeys?.length || JSON.stringify(got.keys) === JSON.stringify(c.joinKeys);
        const idsOk = c.expected.some((ids) => JSON.stringify(got.ids) === JSON.stringify(ids));
        if (!idsOk || !keysOk) {
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
    for (const [file, { agree: a, total }] of perFile) {
      if (!file.startsWith('lang/')) t.diagnostic(`${shell}: ${file}: ${a}/${total} agree`);
    }
    const lang = [...perFile].filter(([f]) => f.startsWith('lang/')).reduce((acc, [, v]) => [acc[0] + v.agree, acc[1] + v.total], [0, 0]);
    t.diagnostic(`${shell}: tests/data/lang: ${lang[0]}/${lang[1]} agree`);
    t.diagnostic(`${shell}: ${agree}/${allCases.length - skipped} agree, ${skipped} skipped (tests/data/conformance-skips.toml)`);
    for (const failure of failures) t.diagnostic(`disagrees: ${failure}`);
    assert.ok(agree >= floor[shell], `${shell}: ${agree} agree, below the floor ${floor[shell]}:\n${failures.join('\n')}`);
  });
}
