// <eqlite-triage>: the whole triage UI as one custom element (light DOM, so a page's own CSS and
// tests reach it), plus mount(target) for dashboards that prefer a function. The page itself is
// just <eqlite-triage> (www/index.html). One instance per document: the stable ids
// (#events-input, #file-input, #run, #status, #matches) are part of the contract.
import { h, count, plural, download } from './dom.js';
import { Engine } from './engine.js';
import { RulePanel } from './rule-panel.js';
import { ResultsTable, toRow } from './results.js';
import { renderDetail } from './detail.js';
import { renderTimeline } from './timeline.js';
import { renderSchedule } from './schedule.js';
import { renderNearMisses } from './near-misses.js';

/** Inputs up to this size are explained (near misses, coverage) on every run. */
const EXPLAIN_BYTES = 64e6;
import { ExceptionsPanel } from './exceptions-panel.js';
import { toNdjson, toHtmlReport } from './export.js';

/** Lines of unreadable input shown at most (all are counted in the status line). */
const PROBLEMS_SHOWN = 200;

export class EqliteTriage extends HTMLElement {
  connectedCallback() {
    if (this.built) return;
    this.built = true;
    this.files = [];
    this.rows = [];
    this.runId = null;
    this.engine = new Engine();
    this.build();
    this.engine.ready.then(
      (info) => this.engineReady(info),
      (error) => this.setStatus(`The eqlite engine could not start: ${error.message}`),
    );
  }

  build() {
    const $ = (tag, attrs, ...kids) => h(tag, attrs, ...kids);
    this.input = $('textarea', {
      id: 'events-input',
      rows: 6,
      wrap: 'off',
      spellcheck: 'false',
      autocomplete: 'off',
      placeholder: 'Paste events here (NDJSON, a JSON array, an Elasticsearch response, Kibana CSV, Windows XML…), or drop files anywhere on the page.',
      'aria-label': 'Events to check (paste)',
    });
    this.fileInput = $('input', { id: 'file-input', type: 'file', multiple: true, class: 'visually-hidden' });
    this.fileNames = $('span', { id: 'file-names', class: 'muted' });
    this.runButton = $('button', { id: 'run', type: 'button', disabled: true, class: 'primary' }, 'Run rule');
    this.cancelButton = $('button', { id: 'cancel', type: 'button', hidden: true, title: 'Stop reading (Esc)' }, 'Cancel');
    this.progress = $('progress', { id: 'progress', max: 1, value: 0, hidden: true, 'aria-label': 'Reading progress' });
    this.rate = $('span', { id: 'rate', class: 'muted', 'aria-live': 'off' });
    this.status = $('p', { id: 'status', role: 'status', 'aria-live': 'polite' }, 'Loading the engine…');
    this.notice = $('p', { id: 'notice', class: 'notice', hidden: true });
    this.problems = $('ul', { id: 'problems', class: 'problems', 'aria-label': 'Unreadable input' });
    this.exportButtons = [
      $('button', { id: 'export-csv', type: 'button', disabled: true, title: 'Every match, exactly as eqlite run --output csv writes it', onclick: () => this.exportAs('csv') }, 'CSV'),
      $('button', { id: 'export-table', type: 'button', disabled: true, title: 'Every match as the text table of eqlite run --output table', onclick: () => this.exportAs('table') }, 'Text table'),
      $('button', { id: 'export-ndjson', type: 'button', disabled: true, onclick: () => this.exportAs('ndjson') }, 'NDJSON'),
      $('button', { id: 'export-html', type: 'button', disabled: true, onclick: () => this.exportAs('html') }, 'HTML report'),
    ];
    const ruleSection = $('section', { class: 'panel rule', 'aria-labelledby': 'rule-heading' });
    const tableSection = $('section', { class: 'panel results', 'aria-labelledby': 'matches-heading' });
    this.timeline = $('div', { id: 'timeline' });
    this.detail = $('div', { id: 'detail' });
    this.schedule = $('div', { id: 'schedule' });
    this.nearMisses = $('div', { id: 'near-misses' });
    const exceptionsSection = $('section', { class: 'panel exceptions', 'aria-labelledby': 'exceptions-heading' });
    this.dropHint = $('div', { class: 'drop-hint', hidden: true, 'aria-hidden': 'true' }, 'Drop files to check them');

    this.replaceChildren(
      $('header', { class: 'top' }, $('h1', {}, 'eqlite'), $('p', { class: 'tagline' }, 'Scheduled tasks created and deleted within minutes, found in your exports. Everything runs in this browser tab: nothing you paste or open leaves it.')),
      $(
        'section',
        { class: 'panel input', 'aria-labelledby': 'input-heading' },
        $('h2', { id: 'input-heading' }, 'Events'),
        this.input,
        $(
          'div',
          { class: 'controls' },
          $('label', { class: 'file button', for: 'file-input' }, 'Open files…'),
          this.fileInput,
          this.fileNames,
          $('button', { id: 'load-sample', type: 'button', onclick: () => this.loadSample() }, 'Load sample'),
          $('button', { id: 'clear', type: 'button', onclick: () => this.clear() }, 'Clear'),
          this.runButton,
        ),
        $('div', { class: 'progress-row' }, this.progress, this.rate, this.cancelButton),
        this.status,
        this.notice,
        this.problems,
      ),
      ruleSection,
      tableSection,
      $('section', { class: 'panel timeline-panel', 'aria-labelledby': 'timeline-heading' }, $('h2', { id: 'timeline-heading' }, 'Timeline'), this.timeline),
      $('section', { class: 'panel detail-panel', 'aria-labelledby': 'detail-heading' }, $('h2', { id: 'detail-heading' }, 'Details'), this.detail),
      $('section', { class: 'panel schedule-panel', 'aria-labelledby': 'schedule-heading' }, $('h2', { id: 'schedule-heading' }, 'Would Kibana have alerted?'), this.schedule),
      exceptionsSection,
      $('footer', { class: 'muted' }, 'eqlite ', $('span', { id: 'version' })),
      this.dropHint,
    );
    tableSection.after($('section', { class: 'panel near-miss-panel', 'aria-labelledby': 'near-miss-heading' }, $('h2', { id: 'near-miss-heading' }, 'Near misses'), this.nearMisses));
    tableSection.append($('div', { class: 'heading-row' }, $('h2', { id: 'matches-heading' }, 'Matches'), $('div', { class: 'exports', role: 'group', 'aria-label': 'Export matches' }, 'Export: ', this.exportButtons)));
    this.table = new ResultsTable(tableSection, { onSelect: (row) => this.select(row), onExclude: (f, v) => this.exclude(f, v) });
    this.exceptions = new ExceptionsPanel(exceptionsSection, { engine: this.engine, onChange: () => this.rerun() });
    this.rulePanelRoot = ruleSection;
    renderDetail(this.detail, null);
    renderTimeline(this.timeline, [], {});
    renderSchedule(this.schedule, null);
    renderNearMisses(this.nearMisses, null);

    this.runButton.addEventListener('click', () => this.run());
    this.cancelButton.addEventListener('click', () => this.cancel());
    this.addEventListener('keydown', (e) => {
      if (e.key === 'Escape' && this.runId !== null) this.cancel();
    });
    // Opening files runs the rule at once, as dropping or pasting does.
    this.fileInput.addEventListener('change', () => {
      this.setFiles([...this.fileInput.files]);
      if (this.files.length) this.run();
    });
    this.input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) this.run();
    });
    // Paste-and-see: a paste runs the rule at once (typing does not).
    this.input.addEventListener('paste', () => setTimeout(() => this.files.length || this.run(), 0));
    // Drops land on the element, or anywhere in the window with drop-target="window" (the page
    // uses that, so a file dropped in the margins is read, not opened by the browser).
    const dropZone = this.getAttribute('drop-target') === 'window' ? window : this;
    dropZone.addEventListener('dragover', (e) => {
      if (![...(e.dataTransfer?.types ?? [])].includes('Files')) return;
      e.preventDefault();
      this.dropHint.hidden = false;
    });
    dropZone.addEventListener('dragleave', (e) => {
      if (e.target === this.dropHint || !e.relatedTarget || !this.contains(e.relatedTarget)) this.dropHint.hidden = true;
    });
    dropZone.addEventListener('drop', (e) => {
      this.dropHint.hidden = true;
      const files = [...(e.dataTransfer?.files ?? [])];
      if (!files.length) return;
      e.preventDefault();
      this.setFiles(files);
      this.run();
    });
  }

  engineReady(info) {
    this.features = info.features ?? {};
    this.querySelector('#version').textContent = info.version ?? '';
    this.starting = true;
    this.rulePanel = new RulePanel(this.rulePanelRoot, this.engine, () => this.ruleChanged());
    const rule = info.rules?.[0];
    if (rule) this.rulePanel.show(rule, { rule: rule.id });
    else this.setStatus('This eqlite build has no built-in rule; load one from a TOML file.');
    if (!rule) return;
    // The first screen holds the sample, so one click on "Run rule" already shows a match; the
    // button is enabled only afterwards, so nothing typed or pasted is overwritten by it.
    this.fetchSample()
      .then((text) => {
        if (this.input.value === '') this.input.value = text;
        this.setStatus('Ready. The text box holds a small sample: press “Run rule” (Ctrl+Enter), or paste, drop or open your own events (Security.evtx, Kibana CSV, NDJSON, an Elasticsearch response…).');
      })
      .catch((error) => this.setStatus(`Ready (the sample could not be loaded: ${error.message}). Paste, drop or open events, then press “Run rule”.`))
      .finally(() => {
        this.starting = false;
        this.ruleChanged();
      });
  }

  async fetchSample() {
    const response = await fetch(new URL('../sample.ndjson', import.meta.url));
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    return response.text();
  }

  ruleChanged() {
    if (!this.rulePanel) return;
    this.runButton.disabled = this.starting || this.runId !== null || !this.rulePanel.valid || !this.rulePanel.current();
  }

  setStatus(text) {
    this.status.textContent = text;
  }

  setFiles(files) {
    this.files = files;
    const names = files.map((f) => f.name);
    this.fileNames.textContent = names.length ? `${names.join(', ')} (used instead of the text box)` : '';
  }

  inputs() {
    if (this.files.length) return { inputs: this.files.map((file) => ({ name: file.name, file })), source: plural(this.files.length, 'file') };
    return { inputs: [{ name: 'pasted', text: this.input.value }], source: 'the text box' };
  }

  run() {
    if (!this.rulePanel) return;
    if (this.runId !== null) {
      // A new input while a run is going: the old run's answer would be for other input.
      this.pending = true;
      this.cancel();
      return;
    }
    const rule = this.rulePanel.current();
    if (!rule || !this.rulePanel.valid) {
      this.setStatus('Fix the query first (see the error under it).');
      return;
    }
    const what = this.inputs();
    const size = what.inputs.reduce((sum, i) => sum + (i.file ? i.file.size : i.text.length), 0);
    const explain = this.forceExplain || size <= EXPLAIN_BYTES;
    this.forceExplain = false;
    const items = this.exceptions.items;
    const state = { results: [], messages: [], source: what.source, items, texts: this.exceptions.texts, explain };
    this.runButton.disabled = true;
    this.cancelButton.hidden = false;
    this.progress.hidden = false;
    this.progress.value = 0;
    this.rate.textContent = '';
    this.problems.replaceChildren();
    this.notice.hidden = true;
    this.setStatus(`Reading ${what.inputs.length === 1 ? what.inputs[0].name : what.source}…`);
    this.runId = this.engine.run(
      { rule, exceptions: items.length ? JSON.stringify(items) : null, inputs: what.inputs, explain },
      {
        progress: (m) => this.showProgress(m),
        results: (m) => state.results.push(...m.results),
        messages: (m) => state.messages.push(...m.messages),
        done: (m) => this.finished(m, state),
      },
    );
  }

  rerun() {
    if (this.runId === null && this.lastRun) this.run();
  }

  cancel() {
    if (this.runId !== null) this.engine.cancel(this.runId);
  }

  showProgress(m) {
    if (m.total > 0) this.progress.value = m.bytes / m.total;
    const seconds = m.elapsedMs / 1000;
    const mb = (b) => (b / 1e6).toFixed(b < 1e7 ? 1 : 0);
    const parts = [`${mb(m.bytes)} of ${mb(m.total)} MB`];
    if (seconds > 0.2) parts.push(`${mb(m.bytes / seconds)} MB/s`);
    if (m.records !== undefined && seconds > 0.2) parts.push(`${count(Math.round(m.records / seconds))} records/s`);
    this.rate.textContent = parts.join(' · ');
    this.setStatus(`Reading ${m.file}… ${Math.floor((m.bytes / Math.max(1, m.total)) * 100)}%`);
  }

  finished(m, state) {
    this.runId = null;
    // A count of finished runs, for embedders and tests to wait on (two runs may end with the
    // same status line).
    this.dataset.runsFinished = String(Number(this.dataset.runsFinished ?? 0) + 1);
    this.cancelButton.hidden = true;
    this.progress.hidden = true;
    this.progress.value = 0;
    this.rate.textContent = '';
    this.ruleChanged();
    if (m.cancelled) {
      // A partial run proves nothing, and the previous results belong to other input: show none.
      this.rows = [];
      this.exports = null;
      this.table.set([]);
      this.exportButtons.forEach((b) => (b.disabled = true));
      this.select(null);
      renderSchedule(this.schedule, null);
      renderNearMisses(this.nearMisses, null);
      this.setStatus(`Cancelled after ${(m.elapsedMs / 1000).toFixed(1)} s; nothing was kept from the partial run.`);
      if (this.pending) {
        this.pending = false;
        this.run();
      }
      return;
    }
    if (m.error) {
      const at = m.error.line ? ` (line ${m.error.line}, column ${m.error.column})` : '';
      this.setStatus(`Error${at}: ${m.error.message}`);
      return;
    }
    this.lastRun = true;
    const summary = m.summary;
    this.rows = state.results.map(toRow);
    this.exports = { csv: m.csv, table: m.table };
    this.table.set(this.rows);
    this.exportButtons.forEach((b) => (b.disabled = this.rows.length === 0));
    this.exceptions.showCounts(state.items.length ? summary.exceptions : null, summary.suppressed_matches);
    renderSchedule(this.schedule, m.schedule);
    this.explanation = m.explanation;
    renderNearMisses(this.nearMisses, m.explanation, {
      skipped: !state.explain,
      onExplain: () => {
        this.forceExplain = true;
        this.run();
      },
    });
    this.problemLines = this.renderProblems(state.messages, m.warnings);
    this.statusText = this.describe(summary, state, m);
    this.setStatus(this.statusText);
    this.select(this.rows.length === 1 ? this.rows[0] : null);
  }

  /** The engine's messages (unreadable records, notes) and warnings (skipped events, ...), each
   *  line in the engine's words, as the CLI prints them on stderr. */
  renderProblems(messages, warnings) {
    const lines = [...messages.map((msg) => msg.text), ...warnings];
    const shown = lines.slice(0, PROBLEMS_SHOWN);
    if (lines.length > shown.length) shown.push(`… and ${count(lines.length - shown.length)} more lines`);
    this.problems.replaceChildren(...shown.map((l) => h('li', {}, l)));
    return shown;
  }

  describe(summary, state, m) {
    const excluded = summary.excluded_by_exceptions;
    const seconds = (m.elapsedMs ?? 0) / 1000;
    const speed = seconds >= 1 && m.bytes ? ` (${(m.bytes / 1e6 / seconds).toFixed(0)} MB/s)` : '';
    const parts = [`Read ${plural(summary.records_read, 'event')} from ${state.source} in ${seconds.toFixed(1)} s${speed}`];
    if (excluded) parts.push(`${plural(excluded, 'event')} removed by exceptions before matching`);
    if (summary.input_error_count) parts.push(`${plural(summary.input_error_count, 'record')} could not be read (details below)`);
    if (summary.skipped) parts.push(`${plural(summary.skipped, 'event')} had no usable @timestamp and were skipped`);
    if (summary.late) parts.push(`${plural(summary.late, 'event')} arrived too far out of time order to be correlated`);
    const tail = state.items.length ? `; ${count(summary.suppressed_matches)} suppressed by ${plural(state.items.length, 'exception')}` : '';
    // No match: which of the three cases (the engine's verdict), when near misses were collected.
    const why = this.rows.length === 0 && m.explanation ? ` ${m.explanation.text}` : '';
    return `${parts.join('; ')}. ${plural(this.rows.length, 'match', 'matches')}${tail}.${why}`;
  }

  select(row) {
    this.selected = row;
    if (row && this.table.selected !== row) this.table.select(row);
    renderDetail(this.detail, row, { onExclude: (f, v) => this.exclude(f, v) });
    renderTimeline(this.timeline, this.rows, { selected: row, onSelect: (r) => this.table.select(r, true) });
  }

  exclude(field, value) {
    this.exceptions.addIs(field, value);
  }

  exportAs(kind) {
    const rows = this.table.visible();
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    if (kind === 'csv') download(`eqlite-matches-${stamp}.csv`, 'text/csv', this.exports?.csv ?? '');
    else if (kind === 'table') download(`eqlite-matches-${stamp}.txt`, 'text/plain', this.exports?.table ?? '');
    else if (kind === 'ndjson') download(`eqlite-matches-${stamp}.ndjson`, 'application/x-ndjson', toNdjson(rows));
    else
      download(
        `eqlite-report-${stamp}.html`,
        'text/html',
        toHtmlReport({ rule: this.rulePanel?.rule, rows, status: this.statusText ?? '', problems: this.problemLines, exceptions: this.exceptions.texts }),
      );
  }

  async loadSample() {
    try {
      this.input.value = await this.fetchSample();
      this.clearFiles();
      this.setStatus('Sample loaded: a scheduled task created and deleted 40 s later, among noise. Press “Run rule”.');
    } catch (error) {
      this.setStatus(`Could not load the sample: ${error.message}`);
    }
  }

  clearFiles() {
    this.fileInput.value = '';
    this.setFiles([]);
  }

  clear() {
    this.input.value = '';
    this.clearFiles();
    this.rows = [];
    this.exports = null;
    this.lastRun = false;
    this.table.set([]);
    this.exportButtons.forEach((b) => (b.disabled = true));
    this.problems.replaceChildren();
    this.select(null);
    renderSchedule(this.schedule, null);
    renderNearMisses(this.nearMisses, null);
    this.setStatus('Cleared.');
  }
}

/** Mounts the triage UI into `target` (an element) and returns the <eqlite-triage> element. */
export function mount(target) {
  const el = document.createElement('eqlite-triage');
  target.append(el);
  return el;
}

if (!customElements.get('eqlite-triage')) customElements.define('eqlite-triage', EqliteTriage);
