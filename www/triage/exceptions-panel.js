// The exceptions panel: the list (remembered in localStorage), how many matches each suppressed,
// removing, importing and exporting (Kibana's exception item JSON).
import { h, count, plural, download } from './dom.js';
import { describeItem, loadStored, store, toJson, parseExceptions, makeIsItem, makeItem, suppressedBy } from './exceptions.js';

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
  'How this is counted: the rule is run twice over the same input, with and without exceptions. ' +
  'The total is the number of matches of the run without exceptions that are absent from the run with them. ' +
  'Per exception, it is the number of matches of the run without exceptions that have at least one event the exception excludes ' +
  '(exceptions remove events before matching, as in Elastic, so such a match cannot be formed from those events).';

export class ExceptionsPanel {
  constructor(root, { onChange }) {
    this.onChange = onChange;
    this.items = loadStored();
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
      this.error.hidden = true;
      this.set([...this.items, makeItem([entry])]);
      value.value = '';
    });
    sync();
    return form;
  }

  set(items) {
    this.items = items;
    store(items);
    this.counts = null;
    this.render();
    this.onChange?.();
  }

  addIs(field, value) {
    if (this.items.some((i) => i.entries.length === 1 && i.entries[0].type === 'match' && i.entries[0].operator === 'included' && i.entries[0].field === field && i.entries[0].value === value)) return;
    this.set([...this.items, makeIsItem(field, value)]);
  }

  async importFile(file) {
    if (!file) return;
    try {
      const items = parseExceptions(await file.text());
      const known = new Set(this.items.map((i) => i.item_id));
      this.error.hidden = true;
      this.set([...this.items, ...items.filter((i) => !known.has(i.item_id))]);
    } catch (error) {
      this.error.textContent = `${file.name}: ${error.message}`;
      this.error.hidden = false;
    } finally {
      this.importInput.value = '';
    }
  }

  /** After a run: `baseline` is the exception-free run's results (null if exceptions were not applied). */
  showCounts(baseline, total) {
    this.counts = baseline ? suppressedBy(this.items, baseline) : null;
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
          h('span', { class: 'exception-text' }, describeItem(item)),
          this.counts ? h('span', { class: 'badge', title: METHOD }, `${count(this.counts[i])} suppressed`) : null,
          h('button', { type: 'button', class: 'remove', 'aria-label': `Remove the exception ${describeItem(item)}`, onclick: () => this.set(this.items.filter((x) => x !== item)) }, 'Remove'),
        ),
      ),
    );
  }
}
