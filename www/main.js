// The page: reads events (pasted or opened), runs the built-in rule through the eqlite package and
// lists the matches. UI only: parsing, matching and correlation all happen inside eqlite.
// Event data is attacker-controlled, so it is only ever rendered through textContent.
const $ = (id) => document.getElementById(id);

// Imported dynamically so that a missing or broken build is reported on the page, not only in
// the console.
let eqlite;
try {
  eqlite = await import('../pkg/browser.js');
} catch (error) {
  $('status').textContent = `Could not load the eqlite engine (was it built? run "make serve"): ${error.message}`;
  throw error;
}
const { Correlator, builtinRules, version, EqlError } = eqlite;

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
  for (const error of summary.input_errors ?? []) {
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
  const parts = [`Read ${plural(summary.events_seen ?? 0, 'event')} from ${source}`];
  if (summary.input_error_count) parts.push(`${plural(summary.input_error_count, 'record')} could not be read (listed below)`);
  if (summary.late) parts.push(`${plural(summary.late, 'event')} arrived too far out of order to be correlated`);
  if (summary.skipped) parts.push(`${plural(summary.skipped, 'event')} had no usable @timestamp and were skipped`);
  return `${parts.join('; ')}. ${plural(results.length, 'match', 'matches')}.`;
}

async function run() {
  runButton.disabled = true;
  tbody.replaceChildren();
  problems.replaceChildren();
  const files = [...fileInput.files];
  let correlator;
  try {
    // reorderWindow: null holds the rule's relevant events until the end, so exported files
    // may be in any order (only scheduled-task events are held, so memory stays small).
    correlator = new Correlator({ rule: rule.id, reorderWindow: null });
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

/** Fills the text box with the built-in sample (a task created and deleted 40 s later, plus noise). */
async function loadSample() {
  const response = await fetch('sample.ndjson');
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  input.value = await response.text();
  fileInput.value = '';
  $('file-names').textContent = '';
}

$('load-sample').addEventListener('click', async () => {
  try {
    await loadSample();
    setStatus('Sample loaded: a scheduled task created and deleted 40 s later, among noise. Press “Run rule”.');
  } catch (error) {
    setStatus(`Could not load the sample: ${error.message}`);
  }
});

// The first screen holds the sample, so one click on "Run rule" already shows a match. The button
// is enabled only afterwards, so that nothing typed or pasted can be overwritten by the sample.
try {
  if (input.value === '') await loadSample();
  setStatus('Ready. The text box holds a small sample: press “Run rule”, or paste or open your own events.');
} catch (error) {
  setStatus(`Ready (the sample could not be loaded: ${error.message}). Paste or open events, then press “Run rule”.`);
}
runButton.disabled = false;
