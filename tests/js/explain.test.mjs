// Issue 12: explain() through the packed package and `npx eqlite explain` give the native CLI's
// findings for the fixture set made for it (tests/data/explain/; the page's share is in
// triage-parity.test.mjs).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { installPacked, nativeBinary, repoRoot } from './shared.mjs';

const dir = join(repoRoot, 'tests', 'data', 'explain');
const files = ['triage.ndjson', 'no-taskname.ndjson'];
let packed;
let api;

before(async () => {
  packed = await installPacked();
  api = await import(packed.nodeModule);
});

after(() => packed?.cleanup());

function cli(command, args) {
  const out = spawnSync(command[0], [...command.slice(1), 'explain', ...args], { cwd: dir, encoding: 'utf8' });
  assert.equal(out.status, 0, out.stderr);
  return out.stdout;
}

test('native CLI, npx eqlite and Correlator.explain() report the same findings', () => {
  const native = cli([nativeBinary()], ['--output', 'ndjson', ...files]);
  assert.equal(cli([process.execPath, packed.bin], ['--output', 'ndjson', ...files]), native);
  assert.equal(cli([process.execPath, packed.bin], files), cli([nativeBinary()], files));
  const lines = native.trimEnd().split('\n').map((l) => JSON.parse(l));
  const verdict = lines.pop();
  const c = new api.Correlator({ explain: true });
  let report;
  try {
    for (const f of files) {
      c.startFile(f);
      c.push(readFileSync(join(dir, f)));
    }
    c.finish();
    report = c.explain();
  } finally {
    c.free();
  }
  assert.deepEqual(report.findings, lines);
  assert.equal(report.verdict, verdict.verdict);
  // Each planted case, once.
  const kinds = report.findings.map((f) => f.kind);
  for (const kind of ['near_miss.condition', 'near_miss.maxspan', 'near_miss.open', 'near_miss.key_case', 'coverage.gap']) {
    assert.equal(kinds.filter((k) => k === kind).length, 1, kind);
  }
  assert.equal(report.findings.filter((f) => f.kind === 'coverage.field' && f.file === 'no-taskname.ndjson').length, 1);
  // Without the option, explain() says what to enable.
  const plain = new api.Correlator({});
  try {
    assert.throws(() => plain.explain(), /explain/);
  } finally {
    plain.free();
  }
});
