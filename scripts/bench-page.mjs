// scripts/bench.sh's "page" row: the triage page served by scripts/serve.js, in Debian's
// headless Chromium through playwright-core (as tests/js/triage-harness.mjs does); the file is
// chosen in #file-input and timed until the status line says the run is over.
// Prints `seconds=S status=...`.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const file = process.argv[2];
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const server = spawn(process.execPath, [join(root, 'scripts', 'serve.js')], {
  env: { ...process.env, PORT: '0' },
  stdio: ['ignore', 'pipe', 'inherit'],
});
const profile = mkdtempSync(join(tmpdir(), 'eqlite-bench-'));
let context;
try {
  const baseUrl = await new Promise((resolve, reject) => {
    let out = '';
    server.stdout.on('data', (c) => {
      out += c;
      const m = out.match(/serving (http:\/\/127\.0\.0\.1:\d+\/)/);
      if (m) resolve(m[1]);
    });
    server.on('exit', (code) => reject(new Error(`serve.js exited with ${code}`)));
  });
  context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = await context.newPage();
  await page.goto(baseUrl);
  await page.locator('#run:enabled').waitFor({ timeout: 30_000 });
  const before = await page.locator('#status').textContent();
  const start = process.hrtime.bigint();
  await page.setInputFiles('#file-input', file);
  await page.waitForFunction((old) => {
    const s = document.querySelector('#status').textContent;
    return s !== old && !s.startsWith('Reading') && !document.querySelector('#run').disabled;
  }, before, { timeout: 600_000, polling: 50 });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const status = (await page.locator('#status').textContent()).replace(/\s+/g, ' ');
  console.log(`seconds=${seconds.toFixed(4)} status=${status}`);
} finally {
  await context?.close();
  server.kill('SIGTERM');
  rmSync(profile, { recursive: true, force: true });
}
