// Issue 9: `npx eqlite` (the packed package's bin) and the native binary are one CLI. For the
// same inputs and flags they must print byte-identical stdout, the same stderr and the same exit
// code, for every subcommand and every `--output` mode (alert documents carry the execution
// time, the only field that may differ: it is masked). Inputs: the project's CLI data, a
// directory of mixed formats from ../shared (EVTX, Winlogbeat JSON, OTRF zips), bad options,
// a missing file and an unreadable record.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { installPacked, nativeBinary, repoRoot, sharedDir } from './shared.mjs';

const shared = sharedDir();
let packed;
let scratch;

before(async () => {
  packed = await installPacked();
  scratch = mkdtempSync(join(tmpdir(), 'eqlite-parity-'));
  const mixed = join(scratch, 'mixed');
  mkdirSync(mixed);
  cpSync(join(repoRoot, 'tests', 'data', 'cli'), join(mixed, 'cli'), { recursive: true });
  if (shared.dir) {
    // Copied into the scratch folder only for the run (never into the project).
    for (const dir of ['evtx', 'otrf', join('winlogbeat', 'current')]) {
      cpSync(join(shared.dir, 'fixtures', dir), join(mixed, dir.replaceAll('/', '-')), { recursive: true });
    }
  }
  writeFileSync(join(mixed, 'broken.ndjson'), '{"@timestamp": "2024-05-01T08:00:00Z", "event": {"category": "iam"}\nnot json\n');
  writeFileSync(join(scratch, 'exceptions.ndjson'), `${JSON.stringify({
    name: 'bob is allowed', item_id: 'x', list_id: 'l', type: 'simple', namespace_type: 'single',
    entries: [{ field: 'user.name', operator: 'included', type: 'match', value: 'bob' }],
  })}\n`);
});

after(() => {
  packed?.cleanup();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

/** Masks the execution time (today's RFC 3339 timestamps) that alert documents carry. */
const maskNow = (text) => text.replace(new RegExp(`${new Date().toISOString().slice(0, 10)}T[0-9:.]+Z`, 'g'), 'NOW');

function both(args, input) {
  const run = (command) => spawnSync(command[0], [...command.slice(1), ...args], { encoding: 'utf8', input, cwd: scratch, maxBuffer: 1 << 28 });
  const native = run([nativeBinary()]);
  const npx = run([process.execPath, packed.bin]);
  return { native, npx };
}

const CASES = [
  ['--help'],
  ['run', '--help'],
  ['--version'],
  ['formats'],
  ['check', 'temporarily-scheduled-task-creation'],
  ['check', 'sequence by host.name [process where true] until [process where event.action == "x"]'],
  ['check', 'process where'],
  ['run', '--output', 'ndjson', 'mixed'],
  ['run', '--output', 'table', 'mixed'],
  ['run', '--output', 'csv', 'mixed'],
  ['run', '--output', 'alerts', 'mixed'],
  ['run', '--stats', '--exceptions', 'exceptions.ndjson', '--output', 'table', 'mixed'],
  ['run', '--query', 'iam where true', '--output', 'csv', '--size', '3', '--result-position', 'head', 'mixed'],
  ['run', '--reorder-window', '120000', '--stats', 'mixed'],
  ['run', '--reorder-window', 'none', 'mixed'],
  ['run', '--max-candidates', '1', 'mixed'],
  ['run', 'no-such-file.ndjson'],
  ['run', '--format', 'nope', 'mixed'],
  ['run', '--output', 'yaml', 'mixed'],
  ['run', '--bogus'],
];

for (const args of CASES) {
  test(`native and npx agree: eqlite ${args.join(' ')}`, () => {
    const { native, npx } = both(args);
    assert.equal(npx.status, native.status, `exit code\nnative stderr: ${native.stderr}\nnpx stderr: ${npx.stderr}`);
    assert.equal(maskNow(npx.stdout), maskNow(native.stdout), 'stdout');
    if (args.includes('no-such-file.ndjson')) {
      // The operating system's wording differs (Rust io::Error vs Node); the file and the exit
      // code do not.
      assert.match(npx.stderr, /eqlite: no-such-file\.ndjson: /);
      assert.match(native.stderr, /eqlite: no-such-file\.ndjson: /);
    } else {
      assert.equal(npx.stderr, native.stderr, 'stderr');
    }
  });
}

test('the parity cases exercise what they claim', () => {
  const table = both(['run', '--output', 'table', 'mixed']).native;
  assert.equal(table.status, 1, 'broken.ndjson has an unreadable record');
  assert.match(table.stderr, /broken\.ndjson:1: invalid JSON/);
  assert.ok(table.stdout.split('\n').length > 2, `a table with rows:\n${table.stdout}`);
  const budget = both(['run', '--max-candidates', '1', 'mixed']).native;
  assert.equal(budget.status, 3);
  assert.equal(both(['run', '--bogus']).native.status, 2);
  const stdin = both(['run', '-'], '{"@timestamp": 1, "event": {"category": "iam"}}\n');
  assert.equal(stdin.npx.stdout, stdin.native.stdout);
  assert.equal(stdin.npx.status, stdin.native.status);
});
