// Shared set-up for the triage page's browser tests (tests/js/triage*.test.mjs): the page served by
// scripts/serve.js exactly as `make serve` does, in Debian's headless Chromium through
// playwright-core. Every page fails its test on any console error or warning, uncaught error,
// failed or 4xx/5xx request, or a .wasm not served as application/wasm; every test leaves a
// screenshot in test-results/triage-<test name>.png.
import { before, after, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { repoRoot } from './shared.mjs';

const executablePath = process.env.CHROMIUM ?? '/usr/bin/chromium';
export const screenshots = join(repoRoot, 'test-results');

/** Installs the hooks; returns an object whose `page` is the current test's page. */
export function triageHarness({ viewport = { width: 1280, height: 720 } } = {}) {
  const h = { page: null, baseUrl: null, context: null };
  let server;
  let profile;
  let problems;
  let wasm;

  before(async () => {
    assert.ok(existsSync(executablePath), `Chromium not found at ${executablePath} (make test installs it)`);
    mkdirSync(screenshots, { recursive: true });
    server = spawn(process.execPath, [join(repoRoot, 'scripts', 'serve.js')], {
      env: { ...process.env, PORT: '0' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    h.baseUrl = await new Promise((resolve, reject) => {
      let out = '';
      server.stdout.on('data', (chunk) => {
        out += chunk;
        const m = out.match(/serving (http:\/\/127\.0\.0\.1:\d+\/)/);
        if (m) resolve(m[1]);
      });
      server.on('exit', (code) => reject(new Error(`serve.js exited with ${code}: ${out}`)));
    });
    profile = mkdtempSync(join(tmpdir(), 'eqlite-triage-'));
    h.context = await chromium.launchPersistentContext(profile, {
      executablePath,
      headless: true,
      viewport,
      acceptDownloads: true,
      args: [
        '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync',
      ],
    });
  });

  after(async () => {
    await h.context?.close();
    server?.kill('SIGTERM');
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  /** Opens the page on a clean slate (no remembered exceptions) and waits for the engine. */
  h.open = async () => {
    problems = [];
    wasm = [];
    const page = await h.context.newPage();
    h.page = page;
    page.on('console', (msg) => {
      if (msg.type() === 'error' || msg.type() === 'warning') problems.push(`console ${msg.type()}: ${msg.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('requestfailed', (r) => {
      // Downloads of exported blobs are not network requests that can fail the page.
      if (!r.url().startsWith('blob:')) problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`);
    });
    page.on('response', (r) => {
      if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`);
      if (!r.url().startsWith('http://127.0.0.1')) problems.push(`request outside the page's origin: ${r.url()}`);
      if (r.url().endsWith('.wasm')) wasm.push(r.headers()['content-type']);
    });
    // A clean slate: forget exceptions a previous test remembered, before the page loads
    // (clearing after it loaded would mean a reload that aborts its engine's start-up).
    const cdp = await h.context.newCDPSession(page);
    await cdp.send('Storage.clearDataForOrigin', { origin: new URL(h.baseUrl).origin, storageTypes: 'local_storage' });
    await cdp.detach();
    await page.goto(h.baseUrl);
    try {
      await page.locator('#run:enabled').waitFor({ timeout: 20_000 });
    } catch (error) {
      throw new Error(`the page did not get ready at ${page.url()}: ${(await page.content()).slice(0, 300)}; ${problems.join('; ')}`, { cause: error });
    }
    return page;
  };

  /** Reloads the page (a reload fetches the .wasm again, so the count starts over). */
  h.reload = async () => {
    wasm = [];
    await h.page.reload();
    await h.page.locator('#run:enabled').waitFor({ timeout: 20_000 });
  };

  /** Opens another page of the site in the same tab (its .wasm fetch is counted afresh). */
  h.navigate = async (path) => {
    wasm = [];
    await h.page.goto(new URL(path, h.baseUrl).href);
    await h.page.locator('#run:enabled').waitFor({ timeout: 20_000 });
  };

  beforeEach(async () => {
    await h.open();
  });

  afterEach(async (t) => {
    const name = t.name.replace(/[^a-z0-9]+/gi, '-').replace(/^-|-$/g, '');
    await h.page.screenshot({ path: join(screenshots, `triage-${name}.png`), fullPage: true });
    await h.page.close();
    assert.deepEqual(problems, [], 'the page logged errors or warnings, or a request failed');
    assert.deepEqual(wasm, ['application/wasm'], 'the .wasm is fetched once (by the engine worker), as application/wasm');
  });

  return h;
}

/** Clicks #run (or runs `start`) and waits until the run has finished (the status no longer says "Reading"). */
export async function runAndWait(page, start = () => page.click('#run')) {
  const before = await page.locator('eqlite-triage').getAttribute('data-runs-finished');
  await start();
  try {
    await page.waitForFunction(
      (old) => {
        const s = document.querySelector('#status').textContent;
        const runs = document.querySelector('eqlite-triage').getAttribute('data-runs-finished');
        return runs !== old && !s.startsWith('Reading') && !document.querySelector('#run').disabled;
      },
      before,
      { timeout: Number(process.env.TRIAGE_RUN_TIMEOUT_MS ?? 120_000) },
    );
  } catch (error) {
    throw new Error(`the run did not finish: status before ${JSON.stringify(before)}, now ${JSON.stringify(await page.textContent('#status'))}`, { cause: error });
  }
  return page.locator('#status').textContent();
}

/** The table as text: one array of cell texts per `#matches tbody tr`. */
export const rows = (page) =>
  page.$$eval('#matches tbody tr', (trs) => trs.map((tr) => [...tr.cells].map((td) => td.textContent)));

/** Drops files on the page as a user would (a DragEvent carrying Files). */
export async function dropFiles(page, files) {
  await page.evaluate((list) => {
    const dt = new DataTransfer();
    for (const f of list) dt.items.add(new File([Uint8Array.from(atob(f.base64), (c) => c.charCodeAt(0))], f.name));
    const target = document.querySelector('#matches');
    target.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
    target.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  }, files.map((f) => ({ name: f.name, base64: Buffer.from(f.buffer).toString('base64') })));
}
