// Every ```js example of README.md runs, as a user would run it: against the packed package
// installed offline into a scratch project that holds `events.ndjson` (the page's sample).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from './shared.mjs';

const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
const examples = [...readme.matchAll(/^```js\n([\s\S]*?)^```$/gm)].map((m) => m[1]);
let scratch;

before(() => {
  scratch = mkdtempSync(join(tmpdir(), 'eqlite-readme-'));
  const [packed] = JSON.parse(
    execFileSync('npm', ['pack', '--json', '--pack-destination', scratch, join(repoRoot, 'pkg')], { encoding: 'utf8' }),
  );
  writeFileSync(join(scratch, 'package.json'), JSON.stringify({ name: 'readme-examples', private: true, type: 'module' }));
  execFileSync('npm', ['install', '--offline', '--no-audit', '--no-fund', join(scratch, packed.filename)], { cwd: scratch, stdio: 'pipe' });
  copyFileSync(join(repoRoot, 'www', 'sample.ndjson'), join(scratch, 'events.ndjson'));
});

after(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

// What each example must print, in README order: a wrong count here means the README lies.
const expected = [
  /^1 match\(es\) in \d+ events$/m,
  /^syntax|^semantic/m,
  /^1 match\(es\)$/m,
  /^1 match\(es\) across 2 workers$/m,
];

test('README has the Node examples this test knows about', () => {
  assert.equal(examples.length, expected.length);
});

examples.forEach((source, index) => {
  test(`README js example ${index + 1} runs and prints what it says`, () => {
    const file = join(scratch, `example-${index + 1}.mjs`);
    writeFileSync(file, source);
    const run = spawnSync(process.execPath, [file], { cwd: scratch, encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, expected[index]);
  });
});
