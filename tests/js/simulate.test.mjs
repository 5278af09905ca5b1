// Issue 11: the CLI, `npx eqlite` and the JS API give the same simulation of Kibana's schedule
// for the same input (the page's share is in triage-parity.test.mjs).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { installPacked, nativeBinary } from './shared.mjs';
import { scheduleGaps } from './lib/winlog-gen.mjs';

let packed;
let api;
let scratch;
let file;

before(async () => {
  packed = await installPacked();
  api = await import(packed.nodeModule);
  scratch = mkdtempSync(join(tmpdir(), 'eqlite-simulate-'));
  file = join(scratch, 'gaps.ndjson');
  writeFileSync(file, scheduleGaps());
});

after(() => {
  packed?.cleanup();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

function cli(command, args) {
  const out = spawnSync(command[0], [...command.slice(1), 'simulate', ...args], { encoding: 'utf8' });
  assert.equal(out.status, 0, out.stderr);
  return out.stdout;
}

function viaApi(options) {
  const c = new api.Correlator({ simulate: true });
  try {
    c.startFile(file);
    c.push(readFileSync(file));
    c.finish();
    return c.simulate(options);
  } finally {
    c.free();
  }
}

test('native CLI, npx eqlite and Correlator.simulate() agree', () => {
  const native = [nativeBinary()];
  const npx = [process.execPath, packed.bin];
  for (const flags of [[], ['--phase', '255s'], ['--interval', '1m', '--from', 'now-3m'], ['--suppress-by', 'user.name', '--suppress-for', '3h']]) {
    const text = cli(native, ['--output', 'ndjson', ...flags, file]);
    assert.equal(cli(npx, ['--output', 'ndjson', ...flags, file]), text, `npx, ${flags}`);
    assert.equal(cli(npx, flags.concat(file)), cli(native, flags.concat(file)), `npx table, ${flags}`);
    const lines = text.trimEnd().split('\n').map((l) => JSON.parse(l));
    const options = {};
    for (let i = 0; i < flags.length; i += 2) {
      const name = flags[i].slice(2).replace(/-(.)/g, (_, c) => c.toUpperCase());
      options[name] = name === 'suppressBy' ? [flags[i + 1]] : flags[i + 1];
    }
    const [sim] = viaApi(options);
    assert.deepEqual(lines.filter((l) => typeof l.run === 'object' && l.run !== null && !l.match).map((l) => l.run), sim.runs, `runs, ${flags}`);
    assert.deepEqual(
      lines.filter((l) => l.match).map(({ match, alerted, run, reason, alert_id }) => ({ ...match, alerted, run, reason, alert_id })),
      sim.matches,
      `matches, ${flags}`,
    );
    const last = lines.at(-1);
    assert.deepEqual(last.summary, sim.summary);
    assert.deepEqual(last.schedule, sim.schedule);
  }
  // The outcomes themselves: phase 4m15s misses the 4m30s and the 5m pair.
  const [late] = viaApi({ phase: '255s' });
  assert.deepEqual(late.matches.map((m) => m.reason), [null, 'window', 'window']);
  // Alert documents, as `--output alerts`.
  const alerts = cli(native, ['--output', 'alerts', file]).trimEnd().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(viaApi({})[0].alerts.map((a) => a._id), alerts.map((a) => a._id));
  assert.equal(alerts.length, 9, 'three groups of two building blocks and a shell');
  // Bad options are refused with their name.
  assert.throws(() => viaApi({ intervl: '5m' }), /unknown field `intervl`/);
  assert.throws(() => viaApi({ phase: 'soon' }), /option `phase`/);
  const c = new api.Correlator({});
  try {
    assert.throws(() => c.simulate(), /simulate/);
  } finally {
    c.free();
  }
});
