// Issue 9, the page's share: the triage page in headless Chromium gives the native CLI's answer.
// - The generated winlogbeat-like set opened in four orders (ascending, descending, shuffled, and
//   four files given newest first) gives the ascending batch answer of `eqlite run`.
// - For the same files, the page's CSV and text-table downloads are byte for byte
//   `eqlite run --output csv` / `--output table`, and the table it shows has the CLI table's cells.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nativeBinary } from './shared.mjs';
import { writeOrders } from './lib/winlog-gen.mjs';
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
