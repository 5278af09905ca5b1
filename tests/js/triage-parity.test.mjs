// Issue 9, the page's share: the triage page in headless Chromium gives the native CLI's answer.
// - The generated winlogbeat-like set opened in four orders (ascending, descending, shuffled, and
//   four files given newest first) gives the ascending batch answer of `eqlite run`.
// - The "Would Kibana have alerted?" panel shows `eqlite simulate`'s outcome per match, and the
//   spread over ten phases of `eqlite simulate --phases 10`.
// - For the same files, the page's CSV and text-table downloads are byte for byte
//   `eqlite run --output csv` / `--output table`, and the table it shows has the CLI table's cells.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nativeBinary, repoRoot } from './shared.mjs';
import { writeFileSync } from 'node:fs';
import { scheduleGaps, writeOrders } from './lib/winlog-gen.mjs';
import { triageHarness, runAndWait, rows } from './triage-harness.mjs';

const EVENTS = 20_000;
const h = triageHarness();
let scratch;
let inputs;

before(() => {
  scratch = mkdtempSync(join(tmpdir(), 'eqlite-page-orders-'));
  inputs = writeOrders(scratch, EVENTS);
});

after(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

function cli(args) {
  const out = spawnSync(nativeBinary(), ['run', ...args], { encoding: 'utf8', maxBuffer: 1 << 28 });
  assert.equal(out.status, 0, out.stderr);
  return out.stdout;
}

/** Opens `files` in the page (which runs the rule at once) and waits for the answer. */
async function open(files) {
  const { page } = h;
  const status = await runAndWait(page, () => page.setInputFiles('#file-input', files));
  assert.match(status, new RegExp(`^Read \\S+ events from ${files.length === 1 ? '1 file' : `${files.length} files`} in `), status);
  assert.doesNotMatch(status, /could not be read|skipped|out of time order/, status);
  return status;
}

async function download(button) {
  const { page } = h;
  const pending = page.waitForEvent('download');
  await page.click(button);
  return readFileSync(await (await pending).path(), 'utf8');
}

/** CSV lines without the header, sorted: the result set, whatever order it came in. */
const csvSet = (csv) => csv.trimEnd().split('\r\n').slice(1).sort();

test('the page gives the ascending batch answer for every order of the generated set', async () => {
  const expected = csvSet(cli(['--output', 'csv', ...inputs.ascending]));
  assert.ok(expected.length >= 50, `the generated set must have many matches, has ${expected.length}`);
  const orders = {
    ascending: inputs.ascending,
    descending: inputs.descending,
    shuffled: inputs.shuffled,
    'split, newest file first': inputs.split.slice().reverse(),
  };
  for (const [order, files] of Object.entries(orders)) {
    await open(files);
    assert.deepEqual(csvSet(await download('#export-csv')), expected, `page, ${order}`);
    assert.equal((await rows(h.page)).length, expected.length, `page table, ${order}`);
  }
});

test('the page\'s table, CSV and text table equal `eqlite run --output table` / `--output csv`', async () => {
  // Several files in a given order: the engine's result order is the same in both shells.
  const files = inputs.split.slice().reverse();
  await open(files);
  const csv = cli(['--output', 'csv', ...files]);
  const table = cli(['--output', 'table', ...files]);
  assert.equal(await download('#export-csv'), csv);
  assert.equal(await download('#export-table'), table);
  // The cells shown are the CLI's cells (the generated data has no quoting in CSV).
  assert.ok(!csv.includes('"'));
  const shown = (await rows(h.page)).map((cells) => cells.join(',')).sort();
  assert.deepEqual(shown, csvSet(csv));
});

test('the schedule panel shows what `eqlite simulate` says, per match and over ten phases', async () => {
  const file = join(scratch, 'gaps.ndjson');
  writeFileSync(file, scheduleGaps());
  const { page } = h;
  await runAndWait(page, () => page.setInputFiles('#file-input', [file]));
  const simulate = (args) => {
    const out = spawnSync(nativeBinary(), ['simulate', '--output', 'ndjson', ...args, file], { encoding: 'utf8' });
    assert.equal(out.status, 0, out.stderr);
    return out.stdout.trimEnd().split('\n').map((l) => JSON.parse(l)).filter((l) => l.match);
  };
  const reasons = { window: 'missed: no run’s window held all its events', max_signals: 'missed: beyond max_signals in its run', suppressed: 'suppressed into an earlier alert' };
  const expected = simulate([]).map((m) => (m.alerted ? `alerted by the run at ${m.run}` : reasons[m.reason]));
  const spread = simulate(['--phases', '10']).map((m) => `${m.alerted_phases} of ${m.phases}`);
  const shown = await page.$$eval('#schedule-matches tbody tr', (trs) => trs.map((tr) => [...tr.cells].map((td) => td.textContent)));
  assert.deepEqual(shown.map((r) => r[3]), expected);
  assert.deepEqual(shown.map((r) => r[4]), spread);
  assert.deepEqual(shown.map((r) => r[0]), ['H1 / \\a', 'H2 / \\b', 'H3 / \\c']);
  assert.match(await page.textContent('#schedule-summary'), /every 5m over now-9m, keeping at most 100 sequences per run\. Of 3 matches over all the data, 3 would have alerted and 0 would have been missed/);
});

test('the Near misses panel shows each planted case once, and the status says why nothing matched', async () => {
  const { page } = h;
  const dir = join(repoRoot, 'tests', 'data', 'explain');
  const files = ['triage.ndjson', 'no-taskname.ndjson'].map((f) => join(dir, f));
  await runAndWait(page, () => page.setInputFiles('#file-input', files));
  const kinds = await page.$$eval('#near-misses li[data-kind]', (lis) => lis.map((li) => li.dataset.kind));
  assert.deepEqual(kinds.sort(), ['coverage.gap', 'near_miss.condition', 'near_miss.key_case', 'near_miss.maxspan', 'near_miss.open']);
  const text = await page.textContent('#near-misses');
  assert.match(text, /not user\.name : "\*\$"/);
  assert.match(text, /1\.000 s longer than the maxspan/);
  assert.match(text, /no record of no-taskname\.ndjson has winlog\.event_data\.TaskName/);
  assert.equal(await page.locator('#near-misses mark.failed').count() >= 5, true);
  // Only the machine-account pair: no match, and the status says something almost matched.
  const lines = readFileSync(files[0], 'utf8').split('\n').slice(0, 2).join('\n');
  const single = join(scratch, 'machine-pair.ndjson');
  writeFileSync(single, lines);
  const status = await runAndWait(page, () => page.setInputFiles('#file-input', [single]));
  assert.match(status, /0 matches\. No match, but 1 near miss\(es\): something almost matched/);
  assert.equal(await page.getAttribute('#near-miss-verdict', 'data-verdict'), 'near_misses');
  await page.locator('#near-misses').screenshot({ path: join(repoRoot, 'test-results', 'triage-near-misses-panel.png') });
});

test('index mappings loaded in the page type fields as the CLI\'s --mapping does', async () => {
  const { page } = h;
  const events = join(scratch, 'typed.ndjson');
  const mapping = join(scratch, 'mapping.json');
  writeFileSync(events, `${JSON.stringify({ '@timestamp': '2024-01-01T00:00:00Z', event: { category: 'process' }, n: '5' })}\n`);
  writeFileSync(mapping, JSON.stringify({ mappings: { properties: { n: { type: 'long' }, '@timestamp': { type: 'date' } } } }));
  const query = 'process where n == 5';
  const count = (args) => {
    const out = spawnSync(nativeBinary(), ['run', '--query', query, ...args, events], { encoding: 'utf8' });
    assert.equal(out.status, 0, out.stderr);
    return out.stdout.trim().split('\n').filter(Boolean).length;
  };
  // A JSON string "5" is no number, unless the mapping says `n` is a long (Elasticsearch
  // coerces it at index time).
  assert.deepEqual([count([]), count(['--mapping', mapping])], [0, 1]);
  await page.fill('#rule-query', query);
  await page.locator('#query-error:empty').waitFor();
  await runAndWait(page, () => page.setInputFiles('#file-input', [events]));
  assert.match(await page.textContent('#status'), / 0 matches\./);
  await page.setInputFiles('#mapping-file', [mapping]);
  await page.locator('#mapping-name:has-text("mapping.json")').waitFor();
  const status = await runAndWait(page);
  assert.match(status, / 1 match\./);
});
