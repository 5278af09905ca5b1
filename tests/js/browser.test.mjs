// The page in headless Chromium (Debian's, driven by playwright-core), served by scripts/serve.js
// exactly as `make serve` does. Every test also fails on any console error or warning, any failed
// or 4xx/5xx request, and a .wasm response whose Content-Type is not application/wasm.
// Screenshots go to test-results/ for a human look.
import { test, before, after, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { repoRoot, sharedDir, jsProcessorEraNdjson } from './shared.mjs';

const executablePath = process.env.CHROMIUM ?? '/usr/bin/chromium';
const screenshots = join(repoRoot, 'test-results');
let server;
let baseUrl;
let profile;
let context;
let page;
let problems;
let wasmResponses;

function startServer() {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(repoRoot, 'scripts', 'serve.js')], {
      env: { ...process.env, PORT: '0' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const m = out.match(/serving (http:\/\/127\.0\.0\.1:\d+\/)/);
      if (m) resolve({ child, url: m[1] });
    });
    child.on('exit', (code) => reject(new Error(`serve.js exited with ${code}: ${out}`)));
  });
}

before(async () => {
  assert.ok(existsSync(executablePath), `Chromium not found at ${executablePath} (make test installs it)`);
  mkdirSync(screenshots, { recursive: true });
  ({ child: server, url: baseUrl } = await startServer());
  // launch() refuses --user-data-dir, so a persistent context on a fresh profile (toolchain trap 4).
  profile = mkdtempSync(join(tmpdir(), 'eqlite-chromium-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
});

after(async () => {
  await context?.close();
  server?.kill('SIGTERM');
  if (profile) rmSync(profile, { recursive: true, force: true });
});

beforeEach(async () => {
  problems = [];
  wasmResponses = [];
  page = await context.newPage();
  page.on('console', (msg) => {
    if (msg.type() === 'error' || msg.type() === 'warning') problems.push(`console ${msg.type()}: ${msg.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('requestfailed', (request) => problems.push(`request failed: ${request.url()} ${request.failure()?.errorText}`));
  page.on('response', (response) => {
    if (response.status() >= 400) problems.push(`HTTP ${response.status()}: ${response.url()}`);
    if (response.url().endsWith('.wasm')) wasmResponses.push(response.headers()['content-type']);
  });
  await page.goto(baseUrl);
  try {
    await page.locator('#run:enabled').waitFor({ timeout: 15_000 });
  } catch (error) {
    const status = await page.textContent('#status');
    throw new Error(`the page did not become ready; #status: ${status}; problems: ${problems.join(' | ')}`, { cause: error });
  }
});

afterEach(async (t) => {
  await page.screenshot({ path: join(screenshots, `browser-${t.name.replace(/[^a-z0-9]+/gi, '-')}.png`), fullPage: true });
  await page.close();
  assert.deepEqual(problems, [], 'the page logged errors or warnings, or a request failed');
  assert.deepEqual(wasmResponses, ['application/wasm'], 'the .wasm must be fetched once, as application/wasm');
});

async function runAndWait(start = () => page.click('#run')) {
  const before = await page.locator('eqlite-triage').getAttribute('data-runs-finished');
  await start();
  await page.waitForFunction(
    (old) => {
      const s = document.querySelector('#status').textContent;
      const runs = document.querySelector('eqlite-triage').getAttribute('data-runs-finished');
      return runs !== old && !s.startsWith('Reading') && !document.querySelector('#run').disabled;
    },
    before,
  );
}

const rows = () =>
  page.$$eval('#matches tbody tr', (trs) => trs.map((tr) => [...tr.cells].map((td) => td.textContent)));

test('the page has the stable ids and the headers tests rely on', async () => {
  for (const id of ['#events-input', '#file-input', '#run', '#status', '#matches']) {
    assert.equal(await page.locator(id).count(), 1, `${id} missing`);
  }
  assert.equal(await page.getAttribute('#file-input', 'type'), 'file');
  assert.equal(await page.locator('#events-input').evaluate((e) => e.tagName), 'TEXTAREA');
  assert.deepEqual(await page.$$eval('#matches thead th', (ths) => ths.map((th) => th.textContent)), [
    'host', 'task', 'user', 'created', 'deleted', 'gap',
  ]);
  assert.match(await page.textContent('#status'), /Ready/);
  assert.match(await page.inputValue('#events-input'), /scheduled-task-created/);
});

const sampleRow = [
  'WKS-FIN-07.corp.example', '\\OneDrive Sync Helper', 'jdoe', '2024-05-02T09:14:03.210Z', '2024-05-02T09:14:43.871Z', '40.661 s',
];

test('the first screen shows the sample\'s one match after one click on #run', async () => {
  assert.deepEqual(await rows(), []);
  await runAndWait();
  assert.deepEqual(await rows(), [sampleRow]);
  assert.match(await page.textContent('#status'), /Read 9 events from the text box.*1 match\./);
});

test('Clear empties everything and Load sample brings the sample back', async () => {
  await page.click('#clear');
  assert.equal(await page.inputValue('#events-input'), '');
  await runAndWait();
  assert.deepEqual(await rows(), []);
  assert.match(await page.textContent('#status'), /Read 0 events.*0 matches\./);
  await page.click('#load-sample');
  await page.waitForFunction(() => document.querySelector('#events-input').value.length > 0);
  await runAndWait();
  assert.deepEqual(await rows(), [sampleRow]);
});

test('pasted js-processor-era Winlogbeat events give exactly the one expected match', async (t) => {
  const shared = sharedDir();
  if (shared.skip) return t.skip(shared.skip);
  const { ndjson, count } = jsProcessorEraNdjson(shared.dir);
  await page.fill('#events-input', ndjson);
  await runAndWait();
  const found = await rows();
  assert.equal(found.length, 1, `rows: ${JSON.stringify(found)}`);
  assert.deepEqual(found[0].slice(0, 3), ['DC_TEST2k12.TEST.SAAS', '\\test1', 'at_adm']);
  assert.match(await page.textContent('#status'), new RegExp(`Read ${count} events.*1 match\\.`));
});

test('opened files are read instead of the text box, at once (no click)', async (t) => {
  const shared = sharedDir();
  if (shared.skip) return t.skip(shared.skip);
  const { ndjson } = jsProcessorEraNdjson(shared.dir);
  await page.fill('#events-input', 'this text is ignored when files are chosen');
  await runAndWait(() =>
    page.setInputFiles('#file-input', [
      { name: 'events.ndjson', mimeType: 'application/x-ndjson', buffer: Buffer.from(ndjson) },
      { name: 'sample.ndjson', mimeType: 'application/x-ndjson', buffer: readFileSync(join(repoRoot, 'www', 'sample.ndjson')) },
    ]),
  );
  const found = await rows();
  assert.deepEqual(found.map((r) => r.slice(0, 2)).sort(), [
    ['DC_TEST2k12.TEST.SAAS', '\\test1'],
    ['WKS-FIN-07.corp.example', '\\OneDrive Sync Helper'],
  ]);
  assert.match(await page.textContent('#status'), /from 2 files.*2 matches\./);
});

test('event data is rendered as text, never as markup', async () => {
  const evil = '<img src=x onerror="document.title=\'pwned\'">';
  const line = (ts, action) =>
    JSON.stringify({
      '@timestamp': ts,
      event: { action, category: ['iam'] },
      user: { name: evil },
      winlog: { computer_name: `<b>${evil}</b>`, event_data: { TaskName: evil } },
    });
  await page.fill('#events-input', [line('2024-01-01T00:00:00Z', 'scheduled-task-created'), line('2024-01-01T00:00:30Z', 'scheduled-task-deleted')].join('\n'));
  await runAndWait();
  assert.deepEqual((await rows())[0].slice(0, 3), [`<b>${evil}</b>`, evil, evil]);
  assert.equal(await page.locator('#matches img, #matches b').count(), 0);
  assert.notEqual(await page.title(), 'pwned');
});

test('unreadable lines are reported with their line number and the rest is still processed', async () => {
  const sample = readFileSync(join(repoRoot, 'www', 'sample.ndjson'), 'utf8').split('\n');
  sample.splice(2, 0, '{"@timestamp": "2024-05-02T09:13:30Z", "event": ');
  await page.fill('#events-input', sample.join('\n'));
  await runAndWait();
  assert.equal((await rows()).length, 1);
  assert.match(await page.textContent('#status'), /1 record could not be read/);
  assert.match(await page.textContent('#problems'), /pasted:3: /);
});
