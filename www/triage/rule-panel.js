// The rule panel: metadata (severity, risk score, MITRE ATT&CK with links, schedule), the
// investigation guide, the EQL editable with live validation (error underlined at line:column),
// and loading another rule from a detection-rules TOML file.
import { h } from './dom.js';
import { renderMarkdown } from './markdown.js';

const ATTACK = /^https:\/\/attack\.mitre\.org\//;

/** ATT&CK entries of a rule's `threat`, whatever the facade's exact shape: [{id, name, reference}]. */
function attackRefs(rule) {
  const refs = [];
  const add = (ref) => ref?.id && refs.push(ref);
  for (const threat of rule.threat ?? []) {
    add(threat.tactic);
    for (const technique of threat.techniques ?? threat.technique ?? []) {
      const [tech, subs] = Array.isArray(technique) ? technique : [technique, technique.subtechnique ?? technique.subtechniques];
      add(tech);
      for (const sub of subs ?? []) add(sub);
    }
  }
  const seen = new Set();
  return refs.filter((r) => !seen.has(r.id) && seen.add(r.id));
}

function link(ref) {
  const label = `${ref.id} ${ref.name ?? ''}`.trim();
  // Only MITRE's own site is linked (the reference comes from a rule file); links open outside
  // the page, which itself never fetches anything.
  return ATTACK.test(ref.reference ?? '')
    ? h('a', { href: ref.reference, target: '_blank', rel: 'noopener noreferrer' }, label)
    : h('span', {}, label);
}

function schedule(rule) {
  const interval = rule.interval ?? rule.schedule?.interval;
  const from = rule.from ?? rule.schedule?.from;
  if (!interval && !from) return undefined;
  return [interval && `runs every ${interval}`, from && `looks back to ${from}`].filter(Boolean).join(', ');
}

export class RulePanel {
  /** `engine` validates queries and reads rule files; `onChange` is told when the rule to run changes. */
  constructor(root, engine, onChange) {
    this.engine = engine;
    this.onChange = onChange;
    this.rule = null;
    this.spec = null;
    this.valid = true;
    this.validation = 0;
    this.title = h('span', { id: 'rule-name' }, 'loading…');
    this.meta = h('dl', { class: 'rule-meta' });
    this.guide = h('div', { class: 'guide' });
    this.editor = h('textarea', {
      id: 'rule-query',
      class: 'query',
      rows: 4,
      spellcheck: 'false',
      autocomplete: 'off',
      'aria-label': 'EQL query of the rule (editable)',
      'aria-describedby': 'query-error',
    });
    this.mirror = h('pre', { class: 'query-mirror', 'aria-hidden': 'true' });
    this.error = h('p', { id: 'query-error', class: 'query-error', role: 'alert' });
    this.fileInput = h('input', { type: 'file', accept: '.toml,text/plain', id: 'rule-file', class: 'visually-hidden' });
    this.reset = h('button', { type: 'button', id: 'rule-reset', hidden: true }, 'Restore the rule’s query');
    // Index mappings (GET <index>/_mapping output): the engine types fields as Elasticsearch
    // would (keyword vs text, numbers, dates, aliases); the text is handed to it as is.
    this.mapping = null;
    this.mappingInput = h('input', { type: 'file', accept: '.json,application/json', id: 'mapping-file', class: 'visually-hidden' });
    this.mappingName = h('span', { id: 'mapping-name', class: 'muted' });
    this.mappingClear = h('button', { type: 'button', id: 'mapping-clear', hidden: true }, 'No mapping');
    root.append(
      h('h2', { id: 'rule-heading' }, 'Rule: ', this.title),
      this.meta,
      h('div', { class: 'editor' }, this.mirror, this.editor),
      this.error,
      h(
        'div',
        { class: 'controls' },
        h('label', { class: 'file button', for: 'rule-file' }, 'Load a rule (detection-rules TOML)…'),
        this.fileInput,
        this.reset,
      ),
      h(
        'div',
        { class: 'controls' },
        h('label', { class: 'file button', for: 'mapping-file' }, 'Load index mappings (JSON)…'),
        this.mappingInput,
        this.mappingName,
        this.mappingClear,
      ),
      h('details', { class: 'guide-box' }, h('summary', {}, 'Description and investigation guide'), this.guide),
    );
    this.editor.addEventListener('input', () => this.queryEdited());
    this.editor.addEventListener('scroll', () => (this.mirror.scrollTop = this.editor.scrollTop));
    this.reset.addEventListener('click', () => this.show(this.rule, this.spec));
    this.fileInput.addEventListener('change', () => this.loadFile(this.fileInput.files[0]));
    this.mappingInput.addEventListener('change', async () => {
      const file = this.mappingInput.files[0];
      if (!file) return;
      this.setMapping(await file.text(), file.name);
      this.mappingInput.value = '';
    });
    this.mappingClear.addEventListener('click', () => this.setMapping(null, ''));
  }

  /** Uses index mappings `text` (or none) for the next runs. */
  setMapping(text, name) {
    this.mapping = text;
    this.mappingName.textContent = text ? `mappings: ${name}` : '';
    this.mappingClear.hidden = !text;
    this.onChange?.();
  }

  /** Shows a rule; `spec` is what the Correlator is given for it ({rule: id-or-toml}). */
  show(rule, spec) {
    this.rule = rule;
    this.spec = spec;
    this.title.textContent = rule.name ?? rule.id ?? 'unnamed rule';
    const rows = [
      ['Severity', rule.severity && h('span', { class: `severity severity-${String(rule.severity).toLowerCase()}` }, rule.severity)],
      ['Risk score', rule.risk_score ?? rule.riskScore],
      ['MITRE ATT&CK', attackRefs(rule).flatMap((r, i) => (i ? [', ', link(r)] : [link(r)]))],
      ['Schedule', schedule(rule)],
    ];
    this.meta.replaceChildren(
      ...rows.filter(([, v]) => v !== undefined && v !== null && !(Array.isArray(v) && !v.length)).flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]),
    );
    this.guide.replaceChildren(
      rule.description ? h('p', { class: 'description' }, rule.description) : '',
      rule.note ? renderMarkdown(rule.note) : h('p', { class: 'muted' }, 'This rule has no investigation guide.'),
    );
    this.editor.value = rule.query ?? '';
    this.reset.hidden = true;
    this.setError(null);
    this.valid = true;
    this.onChange?.();
  }

  /** What to run: the rule as loaded, or the edited query. */
  current() {
    if (!this.rule) return null;
    const spec = this.editor.value === (this.rule.query ?? '') ? this.spec : { query: this.editor.value };
    return this.mapping ? { ...spec, mapping: this.mapping } : spec;
  }

  async queryEdited() {
    this.reset.hidden = this.editor.value === (this.rule?.query ?? '');
    this.mirrorText(null);
    const id = ++this.validation;
    const answer = await this.engine.validate(this.editor.value);
    if (id !== this.validation) return; // a newer keystroke won
    this.valid = answer.ok;
    this.setError(answer.ok ? null : answer.error);
    this.onChange?.();
  }

  setError(error) {
    this.editor.setAttribute('aria-invalid', error ? 'true' : 'false');
    if (!error) {
      this.error.replaceChildren();
      this.mirrorText(null);
      return;
    }
    const at = error.line ? `line ${error.line}, column ${error.column}: ` : '';
    this.error.replaceChildren(h('span', { class: 'error-at' }, at), error.message.split('\n')[0].replace(/^error: /, ''));
    this.mirrorText(error);
  }

  /** Draws the editor's text behind it with the error span underlined (UTF-16 offsets). */
  mirrorText(error) {
    const text = this.editor.value;
    if (!error || error.start === undefined) {
      this.mirror.replaceChildren(text, '\n');
      return;
    }
    const start = Math.max(0, Math.min(text.length, error.start));
    const end = Math.max(start + 1, Math.min(text.length, error.end ?? start + 1));
    this.mirror.replaceChildren(
      text.slice(0, start),
      h('mark', { class: 'error-span', title: error.message }, text.slice(start, end) || ' '),
      text.slice(end),
      '\n',
    );
  }

  async loadFile(file) {
    if (!file) return;
    const toml = await file.text();
    const answer = await this.engine.parseRule(toml);
    if (!answer.ok) {
      this.setError({ message: `${file.name}: ${answer.error.message}` });
      return;
    }
    this.show(answer.value, { rule: toml });
  }
}
