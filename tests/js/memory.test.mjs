// Issue 9: batch mode holds the candidate events (those that pass a stage), so memory follows
// their number, not the input size. Measured where users run it: the native binary's peak RSS
// (getrusage of the child, through Python's resource module) and the wasm linear memory of the
// packed engine under Node (it never shrinks, so its final size is its peak). Doubling the
// input at the same number of candidates must not grow memory by more than a small slack; many
// more candidates must (that shows the measurement can see growth).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nativeBinary, repoRoot } from './shared.mjs';

const MB = 1 << 20;
let scratch;
const files = {};

/** ~`mb` MB of logon noise with `candidates` scheduled-task creates spread through it. */
function input(mb, candidates) {
  const base = Date.UTC(2024, 4, 1);
  const noise = (i) => JSON.stringify({
    '@timestamp': new Date(base + i * 10).toISOString(),
    event: { category: ['authentication'], action: 'logged-in', code: '4624' },
    winlog: { computer_name: `WS${i % 50}`, event_data: { TargetUserName: `user${i % 97}`, LogonType: '3', pad: 'x'.repeat(400) } },
  });
  const task = (i) => JSON.stringify({
    '@timestamp': new Date(base + i * 10).toISOString(),
    event: { category: ['iam'], action: 'scheduled-task-created', code: '4698' },
    user: { name: 'admin' },
    winlog: { computer_name: `WS${i % 50}`, event_data: { TaskName: `\\Task${i}`, pad: 'y'.repeat(400) } },
  });
  const lines = [];
  let size = 0;
  const total = Math.floor((mb * MB) / 560);
  const every = Math.max(1, Math.floor(total / Math.max(1, candidates)));
  for (let i = 0; size < mb * MB; i += 1) {
    const line = i % every === 0 && i / every < candidates ? task(i) : noise(i);
    lines.push(line);
    size += line.length + 1;
  }
  return `${lines.join('\n')}\n`;
}

before(() => {
  scratch = mkdtempSync(join(tmpdir(), 'eqlite-memory-'));
  for (const [name, mb, candidates] of [['small', 40, 200], ['large', 80, 200], ['many', 40, 40_000]]) {
    files[name] = join(scratch, `${name}.ndjson`);
    writeFileSync(files[name], input(mb, candidates));
  }
  files.search = join(scratch, 'search.json');
  writeFileSync(files.search, searchResponse(files.large));
});

/** A single-line `_search` response whose hits are the lines of the NDJSON file `path`. */
function searchResponse(path) {
  const sources = readFileSync(path, 'utf8').trimEnd().split('\n');
  const hits = sources.map((s, i) => `{"_index":"logs-system.security-default","_id":"${i}","_source":${s}}`);
  return `{"took":5,"timed_out":false,"_shards":{"total":1,"successful":1,"skipped":0,"failed":0},"hits":{"total":{"value":${hits.length},"relation":"eq"},"hits":[${hits.join(',')}]}}`;
}

after(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

/** Peak RSS (MiB) of `eqlite run FILE`, from getrusage(RUSAGE_CHILDREN). */
function nativePeak(file) {
  const script = 'import resource, subprocess, sys\n'
    + 'r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)\n'
    + 'assert r.returncode == 0, r.stderr\n'
    + 'print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n';
  const out = spawnSync('python3', ['-c', script, nativeBinary(), 'run', file], { encoding: 'utf8' });
  assert.equal(out.status, 0, out.stderr);
  return Number(out.stdout.trim()) / 1024;
}

/** Wasm linear memory (MiB) after running the built-in rule over FILE in 1 MiB chunks. */
function wasmPeak(file) {
  const dist = join(repoRoot, 'pkg', 'dist');
  const script = `
    import { openSync, readSync, readFileSync } from 'node:fs';
    import { initSync, Correlator } from ${JSON.stringify(join(dist, 'eqlite.js'))};
    const wasm = initSync({ module: readFileSync(${JSON.stringify(join(dist, 'eqlite_bg.wasm'))}) });
    const c = new Correlator({});
    const fd = openSync(${JSON.stringify(file)}, 'r');
    const chunk = new Uint8Array(1 << 20);
    for (let n; (n = readSync(fd, chunk)) > 0;) c.push(chunk.subarray(0, n));
    c.finish();
    console.log(wasm.memory.buffer.byteLength / (1 << 20));
  `;
  const out = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(out.status, 0, out.stderr);
  return Number(out.stdout.trim());
}

test('memory follows the number of candidate events, not the input size', (t) => {
  for (const [shell, peak, slack] of [['native RSS', nativePeak, 16], ['wasm linear memory', wasmPeak, 8]]) {
    const small = peak(files.small);
    const large = peak(files.large);
    const many = peak(files.many);
    t.diagnostic(`${shell}: 40 MB / 200 candidates ${small.toFixed(1)} MiB; 80 MB / 200 candidates ${large.toFixed(1)} MiB; 40 MB / 40,000 candidates ${many.toFixed(1)} MiB`);
    assert.ok(large <= small + slack, `${shell}: doubling the input grew memory from ${small} to ${large} MiB`);
    assert.ok(many >= small + 2 * slack, `${shell}: 200x the candidates should need visibly more memory (${small} -> ${many} MiB)`);
  }
});

// Issue 10: a single-line `_search` response (here about 90 MB) is read hit by hit, never as one
// document, so memory stays within 64 MiB in both shells.
test('a large single-line _search response is read within 64 MiB', (t) => {
  for (const [shell, peak] of [['native RSS', nativePeak], ['wasm linear memory', wasmPeak]]) {
    const mib = peak(files.search);
    t.diagnostic(`${shell}: single-line _search response of ${(readFileSync(files.search).length / 1e6).toFixed(0)} MB: ${mib.toFixed(1)} MiB`);
    assert.ok(mib <= 64, `${shell}: ${mib} MiB on a single-line _search response`);
  }
});

// Issue 10 at the sizes it names: 300 MB of bench-shaped NDJSON (scripts/bench-gen.py: 4624
// noise, 4672, rare 4698/4699 pairs on 20 hosts) and a 200 MB single-line _search response,
// generated inside the child as it pushes them (1 MiB chunks, never on disk) into the packed
// engine: wasm linear memory stays within 64 MiB. (Native RSS at these sizes: tests/input_scaling.rs,
// `make test-memory`.) EQLITE_MEMORY_MB scales both down for a quick run.
function wasmStreamedPeak(kind, mb) {
  const dist = join(repoRoot, 'pkg', 'dist');
  const script = `
    import { readFileSync } from 'node:fs';
    import { initSync, Correlator } from ${JSON.stringify(join(dist, 'eqlite.js'))};
    const wasm = initSync({ module: readFileSync(${JSON.stringify(join(dist, 'eqlite_bg.wasm'))}) });
    const pad = 'This event is generated when a logon session is created. '.repeat(45);
    const base = Date.UTC(2024, 4, 1);
    function line(i) {
      let s = Math.imul(i, 0x9E3779B1) >>> 0; s ^= s >>> 15; s = Math.imul(s, 0x85EBCA77) >>> 0; s ^= s >>> 13;
      const host = 'WS' + String(s % 20).padStart(3, '0') + '.corp.example';
      const roll = (s >>> 8) % 1000;
      const [code, action, category] = roll < 2 ? [4698, 'scheduled-task-created', '["iam","configuration"]']
        : roll < 4 ? [4699, 'scheduled-task-deleted', '["iam","configuration"]']
        : roll < 54 ? [4672, 'logged-in-special', '["iam"]'] : [4624, 'logged-in', '["authentication"]'];
      const user = 'user' + ((s >>> 16) % 97);
      return '{"@timestamp":"' + new Date(base + i * 37).toISOString() + '","event":{"action":"' + action
        + '","category":' + category + ',"code":"' + code + '","kind":"event","provider":"Microsoft-Windows-Security-Auditing"},'
        + '"host":{"name":"' + host + '"},"message":"' + pad + '","user":{"name":"' + user + '"},"winlog":{"channel":"Security",'
        + '"computer_name":"' + host + '","event_data":{"SubjectUserName":"' + user + '","TaskName":"\\\\\\\\Task' + ((s >>> 24) % 2)
        + '"},"event_id":"' + code + '","record_id":"' + i + '"}}';
    }
    const kind = ${JSON.stringify(kind)}, target = ${mb} * 1e6;
    const c = new Correlator({});
    const enc = new TextEncoder();
    let parts = [], pending = 0, fed = 0, results = 0;
    const flush = () => { const r = c.push(enc.encode(parts.join(''))); results += r?.length ?? 0; fed += pending; parts = []; pending = 0; };
    const emit = (s) => { parts.push(s); pending += s.length; if (pending >= 1 << 20) flush(); };
    if (kind === 'search') emit('{"took":3,"timed_out":false,"_shards":{"total":1},"hits":{"total":{"value":1},"hits":[');
    for (let i = 0; fed + pending < target; i += 1) {
      if (kind === 'search') emit((i ? ',' : '') + '{"_index":"logs","_id":"' + i + '","_source":' + line(i) + '}');
      else emit(line(i) + '\\n');
    }
    if (kind === 'search') emit(']}}');
    flush();
    const last = c.finish();
    results += Array.isArray(last) ? last.length : (last?.results?.length ?? 0);
    console.log(JSON.stringify({ fed, results, mib: wasm.memory.buffer.byteLength / (1 << 20) }));
  `;
  const out = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', maxBuffer: 1 << 24 });
  assert.equal(out.status, 0, out.stderr);
  return JSON.parse(out.stdout.trim().split('\n').pop());
}

test('wasm linear memory stays within 64 MiB on 300 MB of NDJSON and a 200 MB single-line _search response', (t) => {
  const scale = Number(process.env.EQLITE_MEMORY_MB ?? 0);
  for (const [kind, mb] of [['ndjson', scale || 300], ['search', scale || 200]]) {
    const started = Date.now();
    const { fed, results, mib } = wasmStreamedPeak(kind, mb);
    t.diagnostic(`wasm, streamed ${kind} of ${(fed / 1e6).toFixed(0)} MB: linear memory ${mib.toFixed(1)} MiB, ${results} results (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    assert.ok(fed >= mb * 1e6 * 0.99, `fed only ${fed} bytes`);
    if (kind === 'ndjson') assert.ok(results > 0, 'some scheduled-task pairs match');
    assert.ok(mib <= 64, `wasm linear memory ${mib} MiB on ${kind} of ${fed} bytes`);
  }
});
