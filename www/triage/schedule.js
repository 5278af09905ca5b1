// The "Schedule" view: would Kibana have alerted? The engine replays the rule's schedule
// (interval, look-back, max_signals, suppression) over the same input (Correlator.simulate) and
// this module only shows its answer: the schedule, the totals, and per match the outcome under
// the schedule as it is and how many of ten phases alert it. All values are text.
import { h, count, plural } from './dom.js';

const REASONS = {
  window: 'missed: no run’s window held all its events',
  max_signals: 'missed: beyond max_signals in its run',
  suppressed: 'suppressed into an earlier alert',
};

const short = (ms) => {
  for (const [unit, size] of [['h', 3_600_000], ['m', 60_000], ['s', 1000]]) if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  return `${ms} ms`;
};

const keys = (m) => m.join_keys.map((k) => (typeof k === 'string' ? k : JSON.stringify(k))).join(' / ');

/** Fills `root` with `schedule` ({at, phases} from the worker), or a hint when there is none. */
export function renderSchedule(root, schedule) {
  if (!schedule?.at) {
    root.replaceChildren(h('p', { class: 'muted' }, 'Run the rule to see which matches Kibana’s schedule would have alerted.'));
    return;
  }
  const { at, phases } = schedule;
  const s = at.schedule;
  const sum = at.summary;
  const covered = Math.max(0, s.lookback_ms - s.interval_ms);
  const head = h(
    'p',
    { id: 'schedule-summary' },
    `Kibana runs this rule every ${short(s.interval_ms)} over now-${short(s.lookback_ms)}, keeping at most ${count(s.max_signals)} sequences per run`,
    s.suppression ? `, suppressing by ${s.suppression.group_by.join(', ')}` : '',
    `. Of ${plural(sum.matches, 'match', 'matches')} over all the data, ${count(sum.alerted)} would have alerted and ${count(sum.missed)} would have been missed (schedule starting at the first event).`,
  );
  const note = h('p', { class: 'muted small' }, `Sequences up to ${short(covered)} long always lie inside one run’s window; longer ones only when a run happens to end between their last event and their first + ${short(s.lookback_ms)}.`);
  if (!at.matches.length) {
    root.replaceChildren(head, note);
    return;
  }
  const rows = at.matches.map((m, i) => {
    const spread = phases.filter((p) => p.matches[i]?.alerted).length;
    return h(
      'tr',
      { class: m.alerted ? 'alerted' : 'missed' },
      h('td', {}, keys(m)),
      h('td', {}, m.first),
      h('td', { class: 'num' }, `${(m.gap_ms / 1000).toFixed(3)} s`),
      h('td', {}, m.alerted ? `alerted by the run at ${m.run}` : REASONS[m.reason] ?? m.reason),
      h('td', { class: 'num' }, `${spread} of ${phases.length}`),
    );
  });
  root.replaceChildren(
    head,
    note,
    h(
      'div',
      { class: 'table-scroll' },
      h(
        'table',
        { id: 'schedule-matches' },
        h('caption', { class: 'visually-hidden' }, 'Each match and whether the schedule would have alerted it'),
        h('thead', {}, h('tr', {}, ['keys', 'first', 'gap', 'outcome', 'phases alerting'].map((c) => h('th', { scope: 'col' }, c)))),
        h('tbody', {}, rows),
      ),
    ),
  );
}
