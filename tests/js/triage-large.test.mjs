// A 200 MB NDJSON file through #file-input: streamed from disk (File.stream()) inside the engine
// worker, the progress bar moving, the page answering while it runs, and a cancel that works.
// The file is generated under the OS temp dir and deleted afterwards.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { triageHarness, runAndWait, rows, screenshots } from './triage-harness.mjs';

const h = triageHarness();
const SIZE = 200 * 1024 * 1024;
let dir;
let file;

/** Noise (logons, other task events by a machine account) around one real create/delete pair. */
async function generate(path) {
  const out = createWriteStream(path);
  const t0 = Date.parse('2024-03-01T00:00:00Z');
  let written = 0;
  let i = 0;
  const event = (ms, action, user, task, code) =>
    `${JSON.stringify({
      '@timestamp': new Date(t0 + ms).toISOString(),
      event: { action, code, category: action.startsWith('scheduled') ? ['iam', 'configuration'] : ['authentication'], kind: 'event', module: 'security' },
      host: { name: `wks-${i % 50}` },
      user: { name: user, domain: 'CORP' },
      winlog: { channel: 'Security', computer_name: `WKS-${i % 50}.corp.example`, record_id: i, event_data: { SubjectUserName: user, TaskName: task, LogonType: '3', IpAddress: `10.0.${i % 250}.${i % 200}` } },
    })}\n`;
  while (written < SIZE) {
    let chunk = '';
    for (let k = 0; k < 2000; k++, i++) {
      if (i === 250_000) {
        chunk += event(i * 10, 'scheduled-task-created', 'mallory', '\\needle', '4698');
        chunk += event(i * 10 + 5000, 'scheduled-task-deleted', 'mallory', '\\needle', '4699');
      } else if (i % 97 === 0) {
        chunk += event(i * 10, i % 2 ? 'scheduled-task-created' : 'scheduled-task-deleted', `WKS-${i % 50}$`, '\\Microsoft\\Windows\\Defrag', '4698');
      } else {
        chunk += event(i * 10, 'logged-in', `user${i % 300}`, undefined, '4624');
      }
    }
    written += Buffer.byteLength(chunk);
    if (!out.write(chunk)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'eqlite-large-'));
  file = join(dir, 'big-200MB.ndjson');
  await generate(file);
  assert.ok(statSync(file).size >= SIZE);
});

after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('a 200 MB NDJSON file streams with a moving progress bar and a responsive page; cancel stops it', async () => {
  const { page } = h;
  // Opening the file starts a run at once; this first run is cancelled part-way.
  await page.setInputFiles('#file-input', file);
  await page.waitForFunction(() => Number(document.querySelector('#progress').value) > 0.05, null, { timeout: 60_000 });
  await page.click('#cancel');
  await page.waitForFunction(() => /^Cancelled/.test(document.querySelector('#status').textContent));
  assert.equal((await rows(page)).length, 0);

  // Then the whole file. Every value the progress bar takes is recorded inside the page (a
  // MutationObserver on its reflected `value` attribute), so a fast run is not undersampled; the
  // main thread's latency is sampled from here with round trips while it runs.
  await page.evaluate(() => {
    const progress = document.querySelector('#progress');
    window.__progressValues = [];
    window.__progressObserver?.disconnect();
    window.__progressObserver = new MutationObserver(() => {
      if (!progress.hidden) window.__progressValues.push(Number(progress.value));
    });
    window.__progressObserver.observe(progress, { attributes: true, attributeFilter: ['value'] });
  });
  const latencies = [];
  let finished = false;
  const done = runAndWait(page).then((status) => {
    finished = true;
    return status;
  });
  let shot = false;
  while (!finished) {
    const t = Date.now();
    const { value, reading } = await page.evaluate(() => {
      const progress = document.querySelector('#progress');
      return { value: Number(progress.value), reading: !progress.hidden };
    });
    latencies.push(Date.now() - t);
    if (!shot && reading && value > 0.3 && !finished) {
      shot = true;
      await page.screenshot({ path: join(screenshots, 'triage-200MB-while-reading.png') });
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const status = await done;
  const samples = await page.evaluate(() => {
    window.__progressObserver.disconnect();
    return window.__progressValues;
  });
  // Distinct values strictly between empty and full, in rising order: the bar moved while reading.
  const between = samples.filter((v) => v > 0 && v < 1);
  const moving = between.filter((v, k) => k > 0 && v > between[k - 1]).length;
  assert.ok(moving >= 3, `the progress bar moved ${moving} times: ${samples.join(' ')}`);
  assert.ok(
    samples.every((v, k) => k === 0 || v >= samples[k - 1] || v === 0),
    `the progress bar never went back while reading: ${samples.join(' ')}`,
  );
  assert.ok(Math.max(...latencies) < 1000, `main thread round trips stayed under 1 s (max ${Math.max(...latencies)} ms)`);
  const found = await rows(page);
  assert.deepEqual(found.map((r) => r.slice(0, 3)), [['WKS-0.corp.example', '\\needle', 'mallory']]);
  assert.match(status, /from 1 file.* 1 match\./);
});
