// The timeline: one lane per host across the input's time range, a span from each task's creation
// to its deletion. Hover (or focus) shows the details; click or Enter selects the match.
// Times are the engine's (each row's created_ms / deleted_ms), never re-parsed here.
import { svg, h } from './dom.js';

const LANE = 26;
const LABEL = 170;
const WIDTH = 900;

export function renderTimeline(root, rows, { range, selected, onSelect }) {
  if (!rows.length) {
    root.replaceChildren(h('p', { class: 'muted' }, 'No matches to draw.'));
    return;
  }
  const times = rows.flatMap((r) => [r.created_ms, r.deleted_ms]).filter(Number.isFinite);
  let lo = Math.min(...times, range?.from ?? Infinity);
  let hi = Math.max(...times, range?.to ?? -Infinity);
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) {
    root.replaceChildren(h('p', { class: 'muted' }, 'The matches have no usable timestamps to draw.'));
    return;
  }
  // Breathing room, so that a single short span is drawn as short, not as the whole axis.
  const pad = Math.max(30_000, (hi - lo) * 0.05);
  lo -= pad;
  hi += pad;
  const hosts = [...new Set(rows.map((r) => r.host))].sort();
  const x = (t) => LABEL + ((t - lo) / (hi - lo)) * (WIDTH - LABEL - 70) + 30;
  const height = hosts.length * LANE + 30;
  const chart = svg('svg', {
    viewBox: `0 0 ${WIDTH} ${height}`,
    class: 'timeline',
    role: 'group',
    'aria-label': `Timeline of ${rows.length} matches on ${hosts.length} hosts, ${new Date(lo).toISOString()} to ${new Date(hi).toISOString()}`,
  });
  hosts.forEach((host, i) => {
    const y = i * LANE + 4;
    chart.append(
      svg('rect', { x: 0, y, width: WIDTH, height: LANE - 2, class: i % 2 ? 'lane odd' : 'lane' }),
      svg('text', { x: 6, y: y + LANE / 2 + 3, class: 'lane-label' }, host.length > 26 ? `${host.slice(0, 25)}…` : host, svg('title', {}, host)),
    );
  });
  for (const row of rows) {
    const c = row.created_ms;
    if (!Number.isFinite(c)) continue;
    const d = Number.isFinite(row.deleted_ms) ? row.deleted_ms : c;
    const y = hosts.indexOf(row.host) * LANE + 4;
    const label = `${row.task} on ${row.host} by ${row.user || '(unknown)'}: created ${row.created}, deleted ${row.deleted} (${row.gap || 'no gap'})`;
    const span = svg(
      'rect',
      {
        x: x(c) - 3,
        y: y + 5,
        width: Math.max(6, x(d) - x(c) + 6),
        height: LANE - 12,
        rx: 3,
        class: row === selected ? 'span selected' : 'span',
        tabindex: 0,
        role: 'button',
        'aria-label': label,
      },
      svg('title', {}, label),
    );
    span.addEventListener('click', () => onSelect(row));
    span.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' || e.key === ' ') {
        e.preventDefault();
        onSelect(row);
      }
    });
    chart.append(span);
  }
  // Ticks: full date at the ends, only the time in between when the range is under a day (UTC).
  const axisY = hosts.length * LANE + 20;
  const short = hi - lo < 86_400_000;
  for (let k = 0; k <= 3; k++) {
    const t = lo + ((hi - lo) * k) / 3;
    const iso = new Date(t).toISOString();
    const label = k === 0 || k === 3 || !short ? `${iso.slice(0, 10)} ${iso.slice(11, 19)}` : iso.slice(11, 19);
    chart.append(svg('text', { x: x(t), y: axisY, class: 'axis', 'text-anchor': k === 0 ? 'start' : k === 3 ? 'end' : 'middle' }, label));
  }
  root.replaceChildren(h('div', { class: 'timeline-scroll' }, chart), h('p', { class: 'muted small' }, 'Times in UTC. Hover a span for details; click it (or focus it and press Enter) to select the match.'));
}
