// The "Near misses" panel: why didn't it fire? The engine (Correlator.explain) finds events that
// fail one condition, sequences too long, cut by `until`, keys differing in case, sequences left
// open, and what the input covers; this module only shows its findings, grouped by kind, each
// with its events side by side and the one thing that failed marked. All values are text.
import { h, count, plural } from './dom.js';

const KINDS = [
  ['near_miss.condition', 'Events that fail one condition'],
  ['near_miss.maxspan', 'Sequences longer than the maxspan'],
  ['near_miss.until', 'Sequences cut by until'],
  ['near_miss.key_case', 'Join keys that differ only in case or spaces'],
  ['near_miss.open', 'Sequences left open'],
  ['coverage.gap', 'Time gaps longer than the maxspan'],
];

const keys = (k) => (k ?? []).map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).join(' / ');
const seconds = (ms) => `${(ms / 1000).toFixed(3)} s`;

function events(list, failed) {
  return h(
    'div',
    { class: 'side-by-side' },
    list.map((e) =>
      h(
        'section',
        { class: 'event-card' },
        h('h4', {}, e.location),
        h('p', { class: 'muted small' }, e.timestamp === undefined || e.timestamp === null ? '' : String(e.timestamp)),
        Object.entries(e.values ?? {}).map(([field, value]) => h('p', {}, h('mark', { class: 'failed' }, `${field} = ${JSON.stringify(value)}`))),
        failed ? h('p', { class: 'small' }, 'fails ', h('mark', { class: 'failed' }, failed)) : null,
      ),
    ),
  );
}

function entry(f) {
  switch (f.kind) {
    case 'near_miss.condition':
      return [h('p', {}, `${keys(f.join_keys)}: `, h('mark', { class: 'failed' }, f.conjunct), ` fails (stage ${f.stages.join(', ')}, ${plural(f.count, 'event')})`), events(f.events)];
    case 'near_miss.maxspan':
      return [h('p', {}, `${keys(f.join_keys)}: ${seconds(f.gap_ms)} apart, `, h('mark', { class: 'failed' }, `${seconds(f.exceeded_by_ms)} longer than the maxspan`)), events(f.events)];
    case 'near_miss.until':
      return [h('p', {}, `${keys(f.join_keys)}: `, h('mark', { class: 'failed' }, 'cut by until')), events(f.events)];
    case 'near_miss.key_case':
      return [h('p', {}, `${keys(f.join_keys)}: written `, h('mark', { class: 'failed' }, f.written.map(keys).join(' vs '))), events(f.events)];
    case 'near_miss.open':
      return [h('p', {}, `${keys(f.join_keys)}: ${f.stages_matched} stage(s) matched; the next needs `, h('mark', { class: 'failed' }, f.next_stage_needs)), events(f.events)];
    case 'coverage.gap':
      return [h('p', {}, `${f.host}: no events from ${f.from} to ${f.to} (`, h('mark', { class: 'failed' }, seconds(f.gap_ms)), ')')];
    default:
      return [h('p', {}, JSON.stringify(f))];
  }
}

/** Fills `root` with `report` (Correlator.explain()), or says why there is none. */
export function renderNearMisses(root, report, { skipped, onExplain } = {}) {
  if (!report) {
    const hint = skipped
      ? [h('p', { class: 'muted' }, 'Near misses were not collected for this input (they need every record parsed, which is slower on large inputs).'), h('button', { type: 'button', id: 'explain-run', onclick: onExplain }, 'Find near misses')]
      : [h('p', { class: 'muted' }, 'Run the rule to see what almost matched and what the input covers.')];
    root.replaceChildren(...hint);
    return;
  }
  const parts = [h('p', { id: 'near-miss-verdict', 'data-verdict': report.verdict }, report.text)];
  for (const [kind, title] of KINDS) {
    const found = report.findings.filter((f) => f.kind === kind);
    if (!found.length) continue;
    const more = report.more?.[kind];
    parts.push(
      h(
        'section',
        { class: 'near-miss-group', 'data-kind': kind },
        h('h3', {}, title, ' ', h('span', { class: 'badge' }, count(found.length + (more ?? 0)))),
        h('ul', { class: 'near-miss-list' }, found.map((f) => h('li', { 'data-kind': f.kind }, entry(f)))),
        more ? h('p', { class: 'muted small' }, `… and ${count(more)} more`) : null,
      ),
    );
  }
  const hosts = report.findings.filter((f) => f.kind === 'coverage.host');
  const fields = report.findings.filter((f) => f.kind === 'coverage.field');
  parts.push(
    h(
      'section',
      { class: 'near-miss-group', 'data-kind': 'coverage' },
      h('h3', {}, 'What the input covers'),
      h('ul', { id: 'coverage-hosts' }, hosts.map((f) => h('li', {}, `${f.host}: ${f.from.slice(11, 19)}–${f.to.slice(11, 19)}, ${plural(f.events, 'event')}${f.values.length ? ` (${f.values.map(([v, n]) => `${count(n)} ${v}`).join(', ')})` : ''}`))),
      h('ul', { id: 'coverage-fields' }, fields.map((f) => h('li', { class: f.carried === 0 ? 'lacking' : undefined }, f.text))),
    ),
  );
  root.replaceChildren(...parts);
}
