// The page: reads events (pasted or opened), runs the built-in rule through the eqlite package and
// lists the matches. UI only: parsing, matching and correlation all happen inside eqlite.
// Event data is attacker-controlled, so it is only ever rendered through textContent.
import { Correlator, builtinRules, version, EqlError } from '../pkg/browser.js';

const $ = (id) => document.getElementById(id);
const input = $('events-input');
const fileInput = $('file-input');
const runButton = $('run');
const status = $('status');
const problems = $('problems');
const tbody = $('matches').querySelector('tbody');

const rule = builtinRules()[0];
$('rule-name').textContent = rule.name;
$('rule-query').textContent = rule.query;
$('version').textContent = version();
runButton.disabled = false;
setStatus('Ready. Paste events, open files, or load the sample, then press “Run rule”.');

function setStatus(text) {
  status.textContent = text;
}

/** The values of a dotted field, following Elasticsearch: dotted keys and nesting mix, arrays flatten. */
function values(object, path) {
  const out = [];
  const visit = (value, rest) => {
    if (value === null || value === undefined) return;
    if (Array.isArray(value)) return value.forEach((item) => visit(item, rest));
    if (rest === '') {
      if (typeof value !== 'object') out.push(value);
      return;
    }
    if (typeof value !== 'object') return;
    if (Object.hasOwn(value, rest)) visit(value[rest], '');
    for (let dot = rest.indexOf('.'); dot !== -1; dot = rest.indexOf('.', dot + 1)) {
      const key = rest.slice(0, dot);
      if (Object.hasOwn(value, key)) visit(value[key], rest.slice(dot + 1));
    }
  };
  visit(object, path);
  return out;
}

const first = (object, path) => values(object, path)[0];

function formatGap(from, to) {
  const ms = Date.parse(to) - Date.parse(from);
  if (!Number.isFinite(ms)) return '—';
  const seconds = ms / 1000;
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)} s`;
  return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
}

function cell(row, text, title) {
  const td = document.createElement('td');
  td.textContent = text === undefined || text === null ? '—' : String(text);
  if (title) td.title = title;
  row.append(td);
}

function renderMatches(results) {
  tbody.replaceChildren();
  for (const result of results) {
    const [created, deleted] = result.events.map((e) => e._source ?? {});
    const [host, task] = result.join_keys ?? [];
    const createdAt = first(created, '@timestamp');
    const deletedAt = first(deleted ?? {}, '@timestamp');
    const where = result.events
      .map((e) => e._provenance)
      .filter(Boolean)
      .map((p) => [p.file, p.line ?? p.record].filter((x) => x !== undefined).join(':'))
      .join(' → ');
    const row = document.createElement('tr');
    cell(row, host ?? first(created, 'winlog.computer_name'), where);
    cell(row, task ?? first(created, 'winlog.event_data.TaskName'));
    cell(row, first(created, 'user.name'));
    cell(row, createdAt);
    cell(row, deletedAt);
    cell(row, formatGap(createdAt, deletedAt));
    tbody.append(row);
  }
}

function renderProblems(summary) {
  problems.replaceChildren();
  for (const error of summary.inputErrors ?? []) {
    const li = document.createElement('li');
    const where = [error.file, error.line ?? error.record].filter((x) => x !== undefined && x !== null);
    li.textContent = `${where.join(':') || 'input'}: ${error.reason}`;
    problems.append(li);
  }
}

function plural(n, one, many = `${one}s`) {
  return `${n} ${n === 1 ? one : many}`;
}

function describe(summary, results, source) {
  const parts = [`Read ${plural(summary.events ?? 0, 'event')} from ${source}`];
  if (summary.inputErrorCount) parts.push(`${plural(summary.inputErrorCount, 'record')} could not be read (listed below)`);
  if (summary.noTimestamp) parts.push(`${plural(summary.noTimestamp, 'event')} had no usable @timestamp and were skipped`);
  return `${parts.join('; ')}. ${plural(results.length, 'match', 'matches')}.`;
}

async function run() {
  runButton.disabled = true;
  tbody.replaceChildren();
  problems.replaceChildren();
  const files = [...fileInput.files];
  let correlator;
  try {
    correlator = new Correlator({ rule: rule.id });
    const results = [];
    let source;
    if (files.length > 0) {
      source = plural(files.length, 'file');
      for (const file of files) {
        setStatus(`Reading ${file.name}…`);
        correlator.startFile(file.name);
        const reader = file.stream().getReader();
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          results.push(...correlator.push(value));
        }
        results.push(...correlator.endFile());
      }
    } else {
      source = 'the text box';
      correlator.startFile('pasted');
      results.push(...correlator.push(input.value));
      results.push(...correlator.endFile());
    }
    const { results: rest, summary } = correlator.finish();
    results.push(...rest);
    renderMatches(results);
    renderProblems(summary);
    setStatus(describe(summary, results, source));
  } catch (error) {
    setStatus(error instanceof EqlError ? `Error: ${error.message}` : `Unexpected error: ${error}`);
    if (!(error instanceof EqlError)) console.error(error);
  } finally {
    correlator?.free();
    runButton.disabled = false;
  }
}

runButton.addEventListener('click', run);

fileInput.addEventListener('change', () => {
  const names = [...fileInput.files].map((f) => f.name);
  $('file-names').textContent = names.length ? `${names.join(', ')} (used instead of the text box)` : '';
});

$('clear').addEventListener('click', () => {
  input.value = '';
  fileInput.value = '';
  $('file-names').textContent = '';
  tbody.replaceChildren();
  problems.replaceChildren();
  setStatus('Cleared.');
});

$('load-sample').addEventListener('click', async () => {
  try {
    const response = await fetch('sample.ndjson');
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    input.value = await response.text();
    fileInput.value = '';
    $('file-names').textContent = '';
    setStatus('Sample loaded: a scheduled task created and deleted 40 s later, among noise. Press “Run rule”.');
  } catch (error) {
    setStatus(`Could not load the sample: ${error.message}`);
  }
});
