// The alert table (#matches, one tbody row per match): sortable columns, a text filter, hosts with
// their match counts (grouping), keyboard navigation, and per-row "exclude" buttons. Every cell is
// the engine's (each result's `view`, the same cells as `eqlite run --output table`).
import { h, count, plural } from './dom.js';

/** [label, the view's text, the sort key]. */
const COLUMNS = [
  ['host', 'host', 'host'],
  ['task', 'task', 'task'],
  ['user', 'user', 'user'],
  ['created', 'created', 'created_ms'],
  ['deleted', 'deleted', 'deleted_ms'],
  ['gap', 'gap', 'gap_ms'],
];

/** A table row: the engine's view of `result`, plus the result itself (for details and exports). */
export const toRow = (result, index) => ({ ...result.view, index, result });

export class ResultsTable {
  /** `onSelect(row)` when a row is chosen; `onExclude(field, value, row)` from its buttons. */
  constructor(root, { onSelect, onExclude }) {
    this.onSelect = onSelect;
    this.onExclude = onExclude;
    this.rows = [];
    this.sort = { key: 'host', dir: 1 };
    this.hostFilter = null;
    this.selected = null;
    this.filter = h('input', {
      type: 'search',
      id: 'filter',
      placeholder: 'Filter matches (host, task, user…)',
      'aria-label': 'Filter matches',
    });
    this.hosts = h('ul', { id: 'hosts', class: 'hosts', 'aria-label': 'Hosts with matches' });
    this.heads = COLUMNS.map(([label, , key]) =>
      h('th', { scope: 'col', 'aria-sort': 'none', dataset: { key } }, h('button', { type: 'button', class: 'sort', onclick: () => this.sortBy(key) }, label)),
    );
    this.tbody = h('tbody');
    this.table = h(
      'table',
      { id: 'matches', 'aria-describedby': 'matches-help' },
      h('caption', { class: 'visually-hidden' }, 'Matches: one row per created-then-deleted task'),
      h('thead', {}, h('tr', {}, this.heads)),
      this.tbody,
    );
    this.shown = h('p', { id: 'matches-help', class: 'muted small' });
    root.append(h('div', { class: 'table-tools' }, this.filter, this.shown), this.hosts, h('div', { class: 'table-scroll' }, this.table));
    this.filter.addEventListener('input', () => this.render());
    this.tbody.addEventListener('keydown', (e) => this.keydown(e));
  }

  set(rows) {
    this.rows = rows;
    if (this.selected && !rows.includes(this.selected)) this.selected = null;
    if (this.hostFilter && !rows.some((r) => r.host === this.hostFilter)) this.hostFilter = null;
    this.render();
  }

  sortBy(key) {
    this.sort = { key, dir: this.sort.key === key ? -this.sort.dir : 1 };
    this.render();
  }

  visible() {
    const needle = this.filter.value.trim().toLowerCase();
    const { key, dir } = this.sort;
    const cmp = (a, b) => {
      const x = a[key];
      const y = b[key];
      const num = (v) => (Number.isFinite(v) ? v : Infinity);
      if (key.endsWith('_ms')) return (num(x) - num(y)) * dir || num(a.created_ms) - num(b.created_ms) || a.index - b.index;
      return String(x).localeCompare(String(y)) * dir || num(a.created_ms) - num(b.created_ms) || a.index - b.index;
    };
    return this.rows
      .filter((r) => !this.hostFilter || r.host === this.hostFilter)
      .filter((r) => !needle || COLUMNS.some(([, text]) => r[text].toLowerCase().includes(needle)))
      .sort(cmp);
  }

  render() {
    for (const th of this.heads) {
      th.setAttribute('aria-sort', th.dataset.key === this.sort.key ? (this.sort.dir > 0 ? 'ascending' : 'descending') : 'none');
    }
    const rows = this.visible();
    let previousHost;
    this.tbody.replaceChildren(
      ...rows.map((row) => {
        const tr = h(
          'tr',
          {
            tabindex: 0,
            class: [row.host !== previousHost ? 'group-start' : '', row === this.selected ? 'selected' : ''].join(' ').trim() || undefined,
            'aria-current': row === this.selected ? 'true' : 'false',
            title: row.locations.join(' → '),
            onclick: (e) => {
              if (!e.target.closest('button')) this.select(row);
            },
          },
          h('td', { 'data-label': 'host' }, row.host),
          h('td', { 'data-label': 'task' }, row.task, this.excludeButton('winlog.event_data.TaskName', row.task, 'task name', row)),
          h('td', { 'data-label': 'user' }, row.user, row.users.map((u) => this.excludeButton('user.name', u, 'user', row))),
          h('td', { 'data-label': 'created' }, row.created),
          h('td', { 'data-label': 'deleted' }, row.deleted),
          h('td', { 'data-label': 'gap', class: 'num' }, row.gap),
        );
        tr.row = row;
        previousHost = row.host;
        return tr;
      }),
    );
    this.renderHosts();
    const all = this.rows.length;
    this.shown.textContent = all ? (rows.length === all ? `${plural(all, 'match', 'matches')}; click a row for details` : `${count(rows.length)} of ${plural(all, 'match', 'matches')} shown`) : '';
  }

  /** An icon-only button (its label is aria-label/title, so the cell's text stays the value). */
  excludeButton(field, value, what, row) {
    if (!value) return null;
    const label = `Exclude the ${what} ${value} (add an exception: ${field} is "${value}")`;
    return h('button', {
      type: 'button',
      class: 'icon exclude',
      'aria-label': label,
      title: label,
      dataset: { field },
      onclick: () => this.onExclude(field, value, row),
    });
  }

  renderHosts() {
    const byHost = new Map();
    for (const r of this.rows) byHost.set(r.host, (byHost.get(r.host) ?? 0) + 1);
    this.hosts.replaceChildren(
      ...[...byHost].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([host, n]) =>
        h(
          'li',
          {},
          h(
            'button',
            {
              type: 'button',
              class: 'host-chip',
              'aria-pressed': this.hostFilter === host ? 'true' : 'false',
              title: this.hostFilter === host ? 'Show all hosts' : `Show only ${host}`,
              onclick: () => {
                this.hostFilter = this.hostFilter === host ? null : host;
                this.render();
              },
            },
            host || '(no host)',
            ' ',
            h('span', { class: 'badge' }, count(n)),
          ),
        ),
      ),
    );
  }

  select(row, focus = false) {
    this.selected = row;
    for (const tr of this.tbody.rows) {
      const on = tr.row === row;
      tr.classList.toggle('selected', on);
      tr.setAttribute('aria-current', on ? 'true' : 'false');
      if (on && focus) tr.focus();
    }
    this.onSelect(row);
  }

  keydown(e) {
    const tr = e.target.closest('tr');
    if (!tr || e.target !== tr) return;
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      this.select(tr.row);
    } else if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      (e.key === 'ArrowDown' ? tr.nextElementSibling : tr.previousElementSibling)?.focus();
    }
  }
}
