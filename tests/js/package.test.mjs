// The npm package as a user gets it: `npm pack` of pkg/, installed offline into a scratch project,
// then used through `import` and through `require` in separate Node processes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from './shared.mjs';

const pkgJson = JSON.parse(readFileSync(join(repoRoot, 'pkg', 'package.json'), 'utf8'));
const expectedExports = ['CliRun', 'Correlator', 'EqlError', 'Query', 'builtinRules', 'cliStart', 'parseExceptions', 'parseQuery', 'parseRule', 'version'];
let scratch;
let tarball;

before(() => {
  scratch = mkdtempSync(join(tmpdir(), 'eqlite-pack-'));
  const packed = JSON.parse(
    execFileSync('npm', ['pack', '--json', '--pack-destination', scratch, join(repoRoot, 'pkg')], {
      encoding: 'utf8',
    }),
  );
  tarball = packed[0];
  writeFileSync(join(scratch, 'package.json'), JSON.stringify({ name: 'scratch', private: true }));
  // --offline: the package has no dependencies, so installing it must not need the registry.
  execFileSync('npm', ['install', '--offline', '--no-audit', '--no-fund', join(scratch, tarball.filename)], {
    cwd: scratch,
    stdio: 'pipe',
  });
});

after(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

/** Runs a script in the scratch project (`.mjs` = ESM, `.cjs` = CommonJS) and returns its JSON output. */
function runIn(name, source) {
  writeFileSync(join(scratch, name), source);
  return JSON.parse(execFileSync(process.execPath, [name], { cwd: scratch, encoding: 'utf8' }));
}

const sample = readFileSync(join(repoRoot, 'www', 'sample.ndjson'), 'utf8');

const probe = (load) => `
${load}
const rule = m.builtinRules()[0];
const c = new m.Correlator({ rule: rule.id });
const results = c.push(${JSON.stringify(sample)});
const done = c.finish();
results.push(...done.results);
let error;
try { new m.Query('sequence [process where'); } catch (e) { error = { instance: e instanceof m.EqlError, name: e.name, code: e.code }; }
console.log(JSON.stringify({
  exports: Object.keys(m).filter((k) => k !== 'default' && k !== 'module.exports').sort(),
  version: m.version(),
  matches: results.map((r) => r.join_keys),
  events: done.summary.records_read,
  error,
}));
`;

test('the tarball holds the entry modules, their types and the generated wasm, nothing else', () => {
  const files = tarball.files.map((f) => f.path).sort();
  for (const required of ['package.json', 'browser.js', 'node.js', 'node.cjs', 'errors.js', 'dist/eqlite_bg.wasm']) {
    assert.ok(files.includes(required), `${required} missing from the tarball: ${files.join(', ')}`);
  }
  assert.deepEqual(files.filter((f) => f !== 'package.json' && !pkgJson.files.includes(f)), [], 'files outside package.json "files"');
  assert.equal(tarball.name, 'eqlite');
});

test('every exports condition points at a packed file, and each has TypeScript types', () => {
  const installed = join(scratch, 'node_modules', 'eqlite');
  const walk = (node, where) => {
    if (typeof node === 'string') {
      assert.ok(existsSync(join(installed, node)), `${where} -> ${node} is not in the package`);
      return;
    }
    if (where.startsWith('.') && where !== './package.json' && !('default' in node && 'types' in node)) {
      for (const [key, value] of Object.entries(node)) walk(value, `${where} ${key}`);
      return;
    }
    if ('default' in node) assert.ok('types' in node, `${where} has no types`);
    for (const [key, value] of Object.entries(node)) walk(value, `${where} ${key}`);
  };
  for (const [subpath, target] of Object.entries(pkgJson.exports)) walk(target, subpath);
});

test('import: installed offline, loads in Node ESM and runs the built-in rule', () => {
  const out = runIn('esm.mjs', probe("import * as m from 'eqlite';"));
  assert.deepEqual(out.exports, expectedExports);
  assert.equal(out.version, pkgJson.version);
  assert.deepEqual(out.matches, [['WKS-FIN-07.corp.example', '\\OneDrive Sync Helper']]);
  assert.equal(out.events, sample.trim().split('\n').length);
  assert.deepEqual(out.error, { instance: true, name: 'EqlError', code: 'syntax' });
});

test('require: installed offline, loads in Node CommonJS and runs the built-in rule', () => {
  const out = runIn('cjs.cjs', probe("const m = require('eqlite');"));
  assert.deepEqual(out.exports, expectedExports);
  assert.equal(out.version, pkgJson.version);
  assert.deepEqual(out.matches, [['WKS-FIN-07.corp.example', '\\OneDrive Sync Helper']]);
  assert.deepEqual(out.error, { instance: true, name: 'EqlError', code: 'syntax' });
});

test('EqlError from the CommonJS copy is an instance of the ESM EqlError and vice versa', () => {
  const out = runIn(
    'dual.mjs',
    `import { createRequire } from 'node:module';
     import * as esm from 'eqlite';
     const cjs = createRequire(import.meta.url)('eqlite');
     const catchIt = (f) => { try { f(); } catch (e) { return e; } };
     const fromCjs = catchIt(() => new cjs.Query('process where'));
     const fromEsm = catchIt(() => new esm.Query('process where'));
     console.log(JSON.stringify([fromCjs instanceof esm.EqlError, fromEsm instanceof cjs.EqlError,
       new Error('x') instanceof esm.EqlError]));`,
  );
  assert.deepEqual(out, [true, true, false]);
});

test('TypeScript: the types of the import and require entries check against real use', () => {
  writeFileSync(
    join(scratch, 'use.mts'),
    `import { Correlator, Query, EqlError, builtinRules, parseQuery, type EqlResult, type CorrelatorOptions } from 'eqlite';
     const options: CorrelatorOptions = { rule: builtinRules()[0].id, size: 10, resultPosition: 'head' };
     const c = new Correlator(options);
     const pushed: EqlResult[] = [...c.push('{}'), ...c.push(new Uint8Array()), ...c.pushEvent({ a: 1 })];
     const { results, summary } = c.finish();
     const seen: number = summary.events_seen + summary.input_error_count + results.length + pushed.length;
     const kind: 'event' | 'sequence' = new Query('any where true', { timestampField: 't' }).kind;
     try { parseQuery('x'); } catch (e) { if (e instanceof EqlError) { const at: number | undefined = e.start; console.log(at, seen, kind); } }\n`,
  );
  writeFileSync(
    join(scratch, 'use.cts'),
    `import eqlite = require('eqlite');
     const c = new eqlite.Correlator({ query: 'any where true' });
     const r: eqlite.EqlResult[] = c.push(new Uint8Array());
     const v: string = eqlite.version();
     console.log(r, v, new eqlite.Query('any where true').joinKeys);\n`,
  );
  const tsc = join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');
  // lib esnext: wasm-bindgen's classes declare [Symbol.dispose].
  const args = ['--noEmit', '--strict', '--module', 'node16', '--moduleResolution', 'node16', '--lib', 'esnext,dom'];
  execFileSync(process.execPath, [tsc, ...args, 'use.mts', 'use.cts'], { cwd: scratch, encoding: 'utf8' });
  // And a misuse must be caught, or the check above proves nothing.
  writeFileSync(join(scratch, 'misuse.mts'), `import { Correlator } from 'eqlite';\nnew Correlator({ query: 1 });\n`);
  assert.throws(
    () => execFileSync(process.execPath, [tsc, ...args, 'misuse.mts'], { cwd: scratch, encoding: 'utf8', stdio: 'pipe' }),
    (e) => /TS2322/.test(e.stdout),
  );
});
