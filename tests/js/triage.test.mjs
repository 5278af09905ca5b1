// The triage page (<eqlite-triage>) in headless Chromium: paste, drop, bad files, exceptions,
// hostile event data, exports, keyboard, dark mode and a narrow window. Large input has its own
// file (triage-large.test.mjs). Harness: triage-harness.mjs (no console errors, one .wasm fetch,
// no request off the page's origin, a screenshot per test).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sharedDir, jsProcessorEraNdjson, repoRoot } from './shared.mjs';
import { triageHarness, runAndWait, rows, dropFiles, screenshots } from './triage-harness.mjs';

const h = triageHarness();

function shared(t) {
  const s = sharedDir();
  if (s.skip) t.skip(s.skip);
  return s.dir;
}

test('pasted js-processor-era Winlogbeat fixtures give one row \\test1, with the rule panel filled', async (t) => {
  const dir = shared(t);
  if (!dir) return;
  const { page } = h;
  const { ndjson, count } = jsProcessorEraNdjson(dir);
  await page.fill('#events-input', ndjson);
  // Paste-and-see: a paste into the box runs the rule at once, no button needed.
  const status = await runAndWait(page, () => page.dispatchEvent('#events-input', 'paste'));
  const found = await rows(page);
  assert.equal(found.length, 1, `rows: ${JSON.stringify(found)}`);
  assert.deepEqual(found[0].slice(0, 3), ['DC_TEST2k12.TEST.SAAS', '\\test1', 'at_adm']);
  assert.match(found[0][3], /^2020-04-01T14:34:34\.606/);
  assert.match(found[0][4], /^2020-04-01T14:35:47\.822/);
  assert.equal(found[0][5], '1 min 13.216 s');
  assert.match(status, new RegExp(`Read ${count} events from the text box.* 1 match\\.`));
  // The rule panel: metadata, ATT&CK links, the investigation guide.
  const meta = await page.textContent('.rule-meta');
  assert.match(meta, /Severity\s*medium/i);
  assert.match(meta, /Risk score\s*47/);
  assert.equal(await page.getAttribute('.rule-meta a:text("T1053.005")', 'href'), 'https://attack.mitre.org/techniques/T1053/005/');
  assert.match(await page.textContent('.guide'), /Investigat/);
  // The one match is selected: the detail view shows both events and the decoded task.
  assert.match(await page.textContent('#detail'), /Created[\s\S]*Deleted/);
  assert.ok((await page.textContent('#detail .task-action')).length > 20);
  assert.equal(await page.locator('#timeline svg .span').count(), 1);
});

test('dropping the smbexec EVTX gives one row \\smbservice with its command decoded', async (t) => {
  const dir = shared(t);
  if (!dir) return;
  const { page } = h;
  const buffer = readFileSync(join(dir, 'fixtures', 'evtx', 'smbexec-fast-created-deleted-task.evtx'));
  const status = await runAndWait(page, () => dropFiles(page, [{ name: 'smbexec-fast-created-deleted-task.evtx', buffer }]));
  const found = await rows(page);
  assert.equal(found.length, 1, `rows: ${JSON.stringify(found)}; status: ${status}`);
  assert.deepEqual(found[0].slice(0, 3), ['fs02.offsec.lan', '\\smbservice', 'admmig']);
  assert.equal(found[0][5], '94 ms');
  assert.match(status, /from 1 file.* 1 match\./);
  const action = await page.textContent('#detail .task-action');
  assert.match(action, /command line\s*C:\\WINDOWS\\Temp\\MpCmdRun\.bat/);
  assert.match(action, /principal\s*S-1-5-18/);
  assert.match(action, /run level\s*LeastPrivilege/);
  assert.match(await page.textContent('#detail'), /record id\s*1230348[\s\S]*record id\s*1230359/);
});

test('a malformed file is named with its problem and the other files are still processed', async (t) => {
  const dir = shared(t);
  if (!dir) return;
  const { page } = h;
  const { ndjson } = jsProcessorEraNdjson(dir);
  const records = ndjson.trimEnd().split('\n').map((l) => JSON.parse(l));
  // The \test1 lifecycle split over two formats: the create (4698) and 4700/4701 in an
  // Elasticsearch _search response, the delete (4699) and 4702 as NDJSON. One run correlates across
  // files, so the pair is still found.
  const created = records.filter((r) => ['4698', '4700', '4701'].includes(r.event.code));
  const rest = records.filter((r) => !created.includes(r));
  const search = { took: 3, timed_out: false, hits: { total: { value: created.length, relation: 'eq' }, hits: created.map((r, i) => ({ _index: 'winlogbeat-7.6.2', _id: `doc${i}`, _source: r })) } };
  const smbexec = readFileSync(join(dir, 'fixtures', 'evtx', 'smbexec-fast-created-deleted-task.evtx'));
  // An EVTX whose header is intact but whose chunks are garbage, between good files.
  const broken = Buffer.concat([smbexec.subarray(0, 4096), Buffer.alloc(65536, 0xa5)]);
  // Opening files runs the rule at once.
  const status = await runAndWait(page, () =>
    page.setInputFiles('#file-input', [
      { name: 'es-response.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(search)) },
      { name: 'broken-Security.evtx', mimeType: 'application/octet-stream', buffer: broken },
      { name: 'later.ndjson', mimeType: 'application/x-ndjson', buffer: Buffer.from(rest.map((r) => JSON.stringify(r)).join('\n')) },
      { name: 'smbexec.evtx', mimeType: 'application/octet-stream', buffer: smbexec },
    ]),
  );
  const found = await rows(page);
  assert.deepEqual(found.map((r) => r[1]).sort(), ['\\smbservice', '\\test1'], `status: ${status}`);
  assert.match(status, /from 4 files.*could not be read.* 2 matches\./);
  assert.match(await page.textContent('#problems'), /broken-Security\.evtx/);
  await page.click('#matches tbody tr:has-text("test1")');
  assert.match(await page.textContent('#detail'), /es-response\.json.*→ later\.ndjson/);
  // Sorting, filtering and the per-host groups.
  const hosts = async () => (await rows(page)).map((r) => r[0]);
  assert.deepEqual(await hosts(), ['DC_TEST2k12.TEST.SAAS', 'fs02.offsec.lan']);
  await page.click('#matches th button:text("host")');
  assert.deepEqual(await hosts(), ['fs02.offsec.lan', 'DC_TEST2k12.TEST.SAAS']);
  assert.equal(await page.getAttribute('#matches th:has-text("host")', 'aria-sort'), 'descending');
  await page.fill('#filter', 'smbserv');
  assert.deepEqual(await hosts(), ['fs02.offsec.lan']);
  await page.fill('#filter', '');
  await page.click('#hosts button:has-text("DC_TEST2k12")');
  assert.deepEqual(await hosts(), ['DC_TEST2k12.TEST.SAAS']);
  assert.match(await page.textContent('#matches-help'), /1 of 2 matches shown/);
});

test('an exception added from a row removes that row and shows 1 suppressed', async () => {
  const { page } = h;
  await page.click('#load-sample');
  await page.waitForFunction(() => document.querySelector('#events-input').value.length > 0);
  await runAndWait(page);
  assert.equal((await rows(page)).length, 1);
  const status = await runAndWait(page, () => page.click('#matches tbody tr button.exclude[data-field="user.name"]'));
  assert.deepEqual(await rows(page), [], `status: ${status}`);
  assert.match(status, / 0 matches; 1 suppressed by 1 exception\./);
  assert.match(await page.textContent('#suppressed'), /1 suppressed/);
  assert.match(await page.textContent('#exceptions-list'), /user\.name is "jdoe"\s*1 suppressed/);
  assert.match(await page.getAttribute('#suppressed', 'title'), /in the same pass/);
  // Remembered across reloads, exported as Kibana exception items.
  await h.reload();
  await page.waitForFunction(() => /user\.name is "jdoe"/.test(document.querySelector('#exceptions-list').textContent));
  const download = page.waitForEvent('download');
  await page.click('#exceptions-export');
  const items = JSON.parse(readFileSync(await (await download).path(), 'utf8'));
  assert.deepEqual(items[0].entries, [{ field: 'user.name', operator: 'included', type: 'match', value: 'jdoe' }]);
  // Removing it brings the match back.
  await page.fill('#events-input', readFileSync(join(repoRoot, 'www', 'sample.ndjson'), 'utf8'));
  await runAndWait(page);
  await runAndWait(page, () => page.click('#exceptions-list button.remove'));
  assert.equal((await rows(page)).length, 1);
  // Importing Kibana's export (NDJSON with a list header and an export summary): a `matches`
  // (wildcard) entry and an `is not` entry, AND-ed.
  const kibana = [
    { list_id: 'endpoint_list', type: 'detection', name: 'Rule exceptions', namespace_type: 'single' },
    {
      list_id: 'endpoint_list', item_id: 'onedrive', name: 'OneDrive helper', type: 'simple', os_types: [],
      entries: [
        { field: 'winlog.event_data.TaskName', operator: 'included', type: 'wildcard', value: '*OneDrive*' },
        { field: 'user.name', operator: 'excluded', type: 'match', value: 'admin' },
      ],
    },
    { exported_exception_list_count: 1, exported_exception_list_item_count: 1, missing_exception_list_item_count: 0 },
  ].map((o) => JSON.stringify(o)).join('\n');
  const imported = await runAndWait(page, () =>
    page.setInputFiles('#exceptions-file', { name: 'kibana-exceptions.ndjson', mimeType: 'application/x-ndjson', buffer: Buffer.from(kibana) }),
  );
  assert.deepEqual(await rows(page), [], `status: ${imported}`);
  assert.match(await page.textContent('#exceptions-list'), /winlog\.event_data\.TaskName matches "\*OneDrive\*" AND user\.name is not "admin"\s*1 suppressed/);
  // The builder makes the other operators without JSON: "is one of" that does not apply, and a
  // "does not exist" on a field every event has: neither suppresses anything more.
  await runAndWait(page, () => page.click('#exceptions-list button.remove'));
  await page.fill('#exception-field', 'user.name');
  await page.selectOption('#exception-operator', 'is_one_of');
  await page.fill('#exception-value', 'svc_backup, admin');
  await runAndWait(page, () => page.click('#exception-add'));
  await page.fill('#exception-field', 'winlog.computer_name');
  await page.selectOption('#exception-operator', 'does_not_exist');
  const last = await runAndWait(page, () => page.click('#exception-add'));
  assert.equal((await rows(page)).length, 1, `status: ${last}`);
  assert.match(await page.textContent('#exceptions-list'), /user\.name is one of "svc_backup", "admin"\s*0 suppressed[\s\S]*winlog\.computer_name does not exist\s*0 suppressed/);
});

test('hostile TaskName and TaskContent are shown as text and execute nothing', async () => {
  const { page } = h;
  const img = '<img src=x onerror="window.__pwned=1">';
  const script = '<script>window.__pwned=2</script>';
  const xml = `<?xml version="1.0" encoding="UTF-16"?><Task xmlns="http://schemas.microsoft.com/windows/2004/02/mit/task"><Actions><Exec><Command>${img.replace(/</g, '&lt;').replace(/"/g, '&quot;')}</Command><Arguments>&lt;script&gt;window.__pwned=3&lt;/script&gt;</Arguments></Exec></Actions></Task>`;
  const line = (ts, action, task, content) =>
    JSON.stringify({
      '@timestamp': ts,
      event: { action, category: ['iam'] },
      user: { name: script },
      winlog: { computer_name: `<b>${img}</b>`, event_data: { TaskName: task, ...(content ? { TaskContent: content } : {}) } },
    });
  await page.fill(
    '#events-input',
    [
      line('2024-01-01T00:00:00Z', 'scheduled-task-created', img, xml),
      line('2024-01-01T00:00:30Z', 'scheduled-task-deleted', img),
      line('2024-01-01T00:01:00Z', 'scheduled-task-created', script, script),
      line('2024-01-01T00:01:30Z', 'scheduled-task-deleted', script),
    ].join('\n'),
  );
  await runAndWait(page);
  const found = await rows(page);
  assert.deepEqual(found.map((r) => r.slice(0, 3)).sort(), [
    [`<b>${img}</b>`, img, script],
    [`<b>${img}</b>`, script, script],
  ]);
  for (const n of [0, 1]) {
    await page.click(`#matches tbody tr:nth-child(${n + 1})`);
    await page.click('#detail details.raw >> nth=0');
  }
  assert.match(await page.textContent('#detail'), /&lt;|<script>window\.__pwned=2<\/script>/);
  await page.click('#matches tbody tr:has-text("<img")');
  assert.match(await page.textContent('#detail .task-action'), /command line\s*<img src=x onerror="window\.__pwned=1"> <script>window\.__pwned=3<\/script>/);
  assert.equal(await page.locator('eqlite-triage img, eqlite-triage script, eqlite-triage b').count(), 0);
  assert.equal(await page.evaluate(() => window.__pwned), undefined);
  // The HTML report escapes it too, and carries its own CSP.
  const download = page.waitForEvent('download');
  await page.click('#export-html');
  const report = readFileSync(await (await download).path(), 'utf8');
  assert.match(report, /Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'"/);
  assert.doesNotMatch(report, /<script|<img|<b>/i);
  assert.match(report, /&lt;img src=x onerror="window.__pwned=1"&gt;/);
  // What an analyst attaches to a ticket, opened on its own (its CSP applies: no scripts at all).
  const viewer = await h.context.newPage();
  const viewerProblems = [];
  viewer.on('pageerror', (e) => viewerProblems.push(e.message));
  viewer.on('request', (r) => viewerProblems.push(`request: ${r.url()}`));
  await viewer.setContent(report);
  await viewer.screenshot({ path: join(screenshots, 'triage-html-report-of-hostile-events.png'), fullPage: true });
  assert.equal(await viewer.evaluate(() => window.__pwned), undefined);
  assert.equal(await viewer.locator('img, script, b').count(), 0);
  await viewer.close();
  assert.deepEqual(viewerProblems, []);
});

test('export produces the engine\'s CSV, text table and NDJSON', async () => {
  const { page } = h;
  await page.click('#load-sample');
  await page.waitForFunction(() => document.querySelector('#events-input').value.length > 0);
  await runAndWait(page);
  let download = page.waitForEvent('download');
  await page.click('#export-csv');
  let file = await download;
  assert.match(file.suggestedFilename(), /^eqlite-matches-.*\.csv$/);
  assert.equal(
    readFileSync(await file.path(), 'utf8'),
    'host,task,user,created,deleted,gap\r\n' +
      'WKS-FIN-07.corp.example,\\OneDrive Sync Helper,jdoe,2024-05-02T09:14:03.210Z,2024-05-02T09:14:43.871Z,40.661 s\r\n',
  );
  download = page.waitForEvent('download');
  await page.click('#export-table');
  file = await download;
  assert.match(file.suggestedFilename(), /^eqlite-matches-.*\.txt$/);
  assert.match(readFileSync(await file.path(), 'utf8'), /^host {2,}task {2,}user {2,}created {2,}deleted {2,}gap\nWKS-FIN-07\.corp\.example {2}\\OneDrive Sync Helper {2}jdoe {2}2024-05-02T09:14:03\.210Z {2}2024-05-02T09:14:43\.871Z {2}40\.661 s\n$/);
  download = page.waitForEvent('download');
  await page.click('#export-ndjson');
  file = await download;
  const lines = readFileSync(await file.path(), 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l));
  assert.equal(lines.length, 1);
  assert.deepEqual(lines[0].join_keys, ['WKS-FIN-07.corp.example', '\\OneDrive Sync Helper']);
  assert.deepEqual(lines[0].events.map((e) => e._provenance.line), [3, 5]);
});

test('keyboard only: Tab to a row, Enter shows its details, the timeline span selects it', async () => {
  const { page } = h;
  await page.click('#load-sample');
  await page.waitForFunction(() => document.querySelector('#events-input').value.length > 0);
  await page.focus('#events-input');
  await runAndWait(page, () => page.keyboard.press('Control+Enter'));
  await page.focus('#matches tbody tr');
  await page.keyboard.press('Enter');
  assert.match(await page.textContent('#detail h3'), /OneDrive Sync Helper on WKS-FIN-07/);
  assert.equal(await page.getAttribute('#matches tbody tr', 'aria-current'), 'true');
  await page.focus('#timeline .span');
  await page.keyboard.press('Enter');
  assert.equal(await page.evaluate(() => document.activeElement.closest('tr')?.getAttribute('aria-current')), 'true');
  // Live validation: an error is underlined at its position while typing.
  await page.fill('#rule-query', 'sequence by x\n  [iam where ]');
  await page.locator('#query-error:not(:empty)').waitFor();
  assert.match(await page.textContent('#query-error'), /^line 2, column \d+: /);
  assert.equal(await page.locator('.query-mirror mark.error-span').count(), 1);
  assert.ok(await page.locator('#run').isDisabled());
});

test('the documented mount() embeds the same UI in another page', async () => {
  const { page } = h;
  await h.navigate('embed-example.html');
  assert.equal(await page.locator('#triage-slot > eqlite-triage').count(), 1);
  await page.fill('#events-input', readFileSync(join(repoRoot, 'www', 'sample.ndjson'), 'utf8'));
  await runAndWait(page);
  assert.equal((await rows(page)).length, 1);
  assert.match(await page.textContent('.embed-banner'), /Example dashboard/);
});

test('dark mode and a narrow window keep everything readable without sideways scrolling', async () => {
  const { page } = h;
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.click('#load-sample');
  await page.waitForFunction(() => document.querySelector('#events-input').value.length > 0);
  await runAndWait(page);
  assert.equal((await rows(page)).length, 1);
  await page.screenshot({ path: join(screenshots, 'triage-dark-1280x720.png') });
  await page.setViewportSize({ width: 420, height: 800 });
  const [bg, fg] = await page.evaluate(() => {
    const s = getComputedStyle(document.querySelector('.panel'));
    return [s.backgroundColor, s.color];
  });
  assert.notEqual(bg, 'rgb(255, 255, 255)', 'dark panels in dark mode');
  assert.notEqual(fg, bg);
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1), 'no sideways scrolling of the page');
});

test('a detection-rules TOML file loads with its metadata and investigation guide, and runs', async (t) => {
  const dir = shared(t);
  if (!dir) return;
  const { page } = h;
  await page.setInputFiles('#rule-file', join(dir, 'fixtures', 'rules', 'persistence_temp_scheduled_task.current.toml'));
  await page.waitForFunction(() => /Possible investigation steps/.test(document.querySelector('.guide').textContent), null, { timeout: 10_000 })
    .catch(async (error) => {
      throw new Error(`the rule file was not shown: ${await page.textContent('#query-error')}`, { cause: error });
    });
  assert.equal(await page.textContent('#rule-name'), 'Temporarily Scheduled Task Creation');
  assert.match(await page.textContent('.rule-meta'), /Risk score\s*47/);
  assert.match(await page.inputValue('#rule-query'), /host\.os\.type/);
  const { ndjson } = jsProcessorEraNdjson(dir);
  await page.fill('#events-input', ndjson);
  await runAndWait(page);
  // The current upstream query also requires host.os.type == "windows", which the
  // js-processor-era documents lack: the rule file really is what runs.
  assert.deepEqual(await rows(page), []);
});

test('a Kibana Discover CSV gives its match; an Event Viewer CSV is explained with what to export instead', async () => {
  const { page } = h;
  const data = (f) => readFileSync(join(repoRoot, 'tests', 'data', 'input', 'kibana-csv', f));
  const status = await runAndWait(page, () =>
    dropFiles(page, [
      { name: 'discover-report.csv', buffer: data('discover-report.csv') },
      { name: 'eventviewer-export.csv', buffer: data('eventviewer-export.csv') },
    ]),
  );
  const found = await rows(page);
  assert.equal(found.length, 1, `rows: ${JSON.stringify(found)}; status: ${status}`);
  assert.deepEqual(found[0].slice(0, 3), ['WIN-SVR-2019-ST', '\\OneDrive Startup Task-S-1-5-21-3333583805-2625453883-3--83901-1003', 'Administrator']);
  assert.equal(found[0][5], '28.881 s');
  assert.match(await page.textContent('#problems'), /eventviewer-export\.csv.*Event Viewer CSV.*\.evtx/);
});
