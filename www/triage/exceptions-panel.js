// The exceptions panel: the list (remembered in localStorage), how many matches each suppressed,
// removing, importing and exporting (Kibana's exception item JSON). The engine reads and
// describes every item (engine.parseExceptions) and counts, in the run itself, what each
// excluded and suppressed (summary.exceptions); this panel only shows it.
import { h, count, plural, download } from './dom.js';
import { loadStored, store, toJson, makeIsItem, makeItem, isItemFor } from './exceptions.js';

/** The operators of Kibana's exception builder, and the entry each makes: [type, negated]. */
const CHOICES = { is: 'is', is_not: 'is not', is_one_of: 'is one of', is_not_one_of: 'is not one of', matches: 'matches', does_not_match: 'does not match', exists: 'exists', does_not_exist: 'does not exist' };
const CHOICE_TYPES = {
  is: ['match', false],
  is_not: ['match', true],
  is_one_of: ['match_any', false],
  is_not_one_of: ['match_any', true],
  matches: ['wildcard', false],
  does_not_match: ['wildcard', true],
  exists: ['exists', false],
  does_not_exist: ['exists', true],
};

const METHOD =
  'How this is counted: in the same pass, the engine also correlates the events without exceptions. ' +
  'The total is the number of matches that run finds and the run with exceptions does not. ' +
  'Per exception, it is the number of those matches with at least one event that the exception (first among the list) excludes ' +
  '(exceptions remove events before matching, as in Elastic, so such a match cannot be formed from those events).';

export class ExceptionsPanel {
  /** `engine` reads the items; `onChange()` after the list changed (the page runs again). */
  constructor(root, { engine, onChange }) {
    this.engine = engine;
    this.onChange = onChange;
    this.items = [];
    this.texts = [];
    this.counts = null;
    this.list = h('ul', { id: 'exceptions-list', class: 'exceptions-list' });
    this.summary = h('p', { id: 'suppressed', class: 'suppressed', title: METHOD });
    this.importInput = h('input', { type: 'file', id: 'exceptions-file', accept: '.json,.ndjson,application/json', class: 'visually-hidden' });
    this.error = h('p', { class: 'notice', role: 'alert', hidden: true });
    root.append(
      h('h2', { id: 'exceptions-heading' }, 'Exceptions'),
      h('p', { class: 'muted small' }, 'Events matching any exception are removed before the rule runs, as in Elastic Security (entries of one exception must all hold). Add one from a row’s ⊘ buttons or from the details.'),
      this.summary,
      this.list,
      h(
        'div',
        { class: 'controls' },
        h('button', { type: 'button', id: 'exceptions-export', onclick: () => download('eqlite-exceptions.json', 'application/json', toJson(this.items)) }, 'Export JSON'),
        h('label', { class: 'file button', for: 'exceptions-file' }, 'Import JSON…'),
        this.importInput,
      ),
      this.error,
    );
    root.insertBefore(this.builder(), this.error);
    this.importInput.addEventListener('change', () => this.importFile(this.importInput.files[0]));
    this.render();
    // The remembered list, read by the engine like any import (a list it cannot read is dropped).
    this.ready = this.read(loadStored()).then((read) => {
      if (read.ok) this.show(read.value);
    });
  }

  /** The engine's reading of `text`: {ok, value: [{item, text}]} or {ok: false, error}. */
  async read(text) {
    if (!text.trim()) return { ok: true, value: [] };
    await this.engine.ready;
    return this.engine.parseExceptions(text);
  }

  /** Shows the engine-read items (no run). */
  show(read) {
    this.items = read.map((r) => r.item);
    this.texts = read.map((r) => r.text);
    this.counts = null;
    this.render();
  }

  /** A form for one-entry exceptions with any operator (more entries: import JSON). */
  builder() {
    const field = h('input', { type: 'text', id: 'exception-field', value: 'user.name', 'aria-label': 'Field', list: 'exception-fields', spellcheck: 'false' });
    const fields = h('datalist', { id: 'exception-fields' }, ['user.name', 'winlog.event_data.TaskName', 'winlog.computer_name', 'host.name', 'winlog.event_data.SubjectLogonId'].map((f) => h('option', { value: f })));
    const operator = h(
      'select',
      { id: 'exception-operator', 'aria-label': 'Operator' },
      Object.entries(CHOICES).map(([key, label]) => h('option', { value: key }, label)),
    );
    const value = h('input', { type: 'text', id: 'exception-value', 'aria-label': 'Value (for "is one of": comma-separated)', placeholder: 'value', spellcheck: 'false' });
    const add = h('button', { type: 'submit', id: 'exception-add' }, 'Add exception');
    const form = h('form', { class: 'exception-builder', 'aria-label': 'Add an exception' }, field, fields, operator, value, add);
    const sync = () => (value.disabled = operator.value.endsWith('exists'));
    operator.addEventListener('change', sync);
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const [type, negated] = CHOICE_TYPES[operator.value];
      const entry = { field: field.value.trim(), operator: negated ? 'excluded' : 'included', type };
      if (type === 'match_any') entry.value = value.value.split(',').map((v) => v.trim()).filter(Boolean);
      else if (type !== 'exists') entry.value = value.value;
      if (!entry.field || (type !== 'exists' && !entry.value.length)) {
        this.error.textContent = 'An exception needs a field and a value.';
        this.error.hidden = false;
        return;
      }
      this.set([...this.items, makeItem([entry])]).then((ok) => {
        if (ok) value.value = '';
      });
    });
    sync();
    return form;
  }

  /** Replaces the list with `items` once the engine has read them; true when it could. */
  async set(items, source = 'the exception') {
    const read = await this.read(JSON.stringify(items));
    if (!read.ok) {
      this.error.textContent = `${source}: ${read.error.message}`;
      this.error.hidden = false;
      return false;
    }
    this.error.hidden = true;
    this.show(read.value);
    store(this.items);
    this.onChange?.();
    return true;
  }

  async addIs(field, value) {
    await this.ready;
    if (this.items.some((i) => isItemFor(i, field, value))) return;
    await this.set([...this.items, makeIsItem(field, value)]);
  }

  async importFile(file) {
    if (!file) return;
    try {
      const read = await this.read(await file.text());
      if (!read.ok) {
        this.error.textContent = `${file.name}: ${read.error.message}`;
        this.error.hidden = false;
        return;
      }
      const known = new Set(this.items.map((i) => i.item_id));
      const fresh = read.value.map((r) => r.item).filter((i) => i.item_id === undefined || !known.has(i.item_id));
      await this.set([...this.items, ...fresh], file.name);
    } finally {
      this.importInput.value = '';
    }
  }

  /** After a run: the engine's per-exception counts (`summary.exceptions`, in list order) and
   *  the total it suppressed; `null` when the run had no exceptions. */
  showCounts(counts, total) {
    this.counts = counts;
    this.total = total;
    this.render();
  }

  render() {
    this.summary.textContent = !this.items.length
      ? 'No exceptions.'
      : this.counts
        ? `${plural(this.items.length, 'exception')}: ${count(this.total)} suppressed (hover for how this is counted).`
        : `${plural(this.items.length, 'exception')}.`;
    this.list.replaceChildren(
      ...this.items.map((item, i) =>
        h(
          'li',
          {},
          h('span', { class: 'exception-text' }, this.texts[i]),
          this.counts?.[i] ? h('span', { class: 'badge', title: `${METHOD} It removed ${plural(this.counts[i].excluded_events, 'event')} before matching.` }, `${count(this.counts[i].suppressed_matches)} suppressed`) : null,
          h('button', { type: 'button', class: 'remove', 'aria-label': `Remove the exception ${this.texts[i]}`, onclick: () => this.set(this.items.filter((x) => x !== item)) }, 'Remove'),
        ),
      ),
    );
  }
}
