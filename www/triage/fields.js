// Field access on result events, with Elasticsearch's rules (dotted keys and nesting mix, arrays
// are multi-valued, null is no value), and the columns the triage table shows.

/** Every scalar value of the dotted field `path`. */
export function values(object, path) {
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

/** The first value of `path`, or undefined. */
export const first = (object, path) => values(object ?? {}, path)[0];

/** Milliseconds between two timestamps, or NaN. */
export const gapMs = (from, to) => Date.parse(to) - Date.parse(from);

/** "41 s", "1.3 s", "2 min 5 s", "94 ms". */
export function formatGap(ms) {
  if (!Number.isFinite(ms)) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const seconds = ms / 1000;
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)} s`;
  return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
}

/** "file:line" / "file#record" for a provenance object. */
export function where(p) {
  if (!p) return '';
  const file = p.file ?? 'input';
  if (p.line !== undefined && p.line !== null) return `${file}:${p.line}`;
  if (p.record !== undefined && p.record !== null) return `${file} record ${p.record}`;
  if (p.offset !== undefined && p.offset !== null) return `${file} @${p.offset}`;
  return file;
}

/**
 * One table row's worth of facts about a sequence result. Host and task come from the join keys
 * when the rule has them (they are what the sequence was grouped by), else from the events.
 */
export function describeMatch(result, index) {
  const events = result.events ?? [];
  const created = events[0]?._source ?? {};
  const deleted = events[events.length - 1]?._source ?? {};
  const [keyHost, keyTask] = result.join_keys ?? [];
  const createdAt = first(created, '@timestamp');
  const deletedAt = events.length > 1 ? first(deleted, '@timestamp') : undefined;
  const str = (v) => (v === undefined || v === null ? '' : String(v));
  return {
    index,
    result,
    host: str(keyHost ?? first(created, 'winlog.computer_name') ?? first(created, 'host.name')),
    task: str(keyTask ?? first(created, 'winlog.event_data.TaskName')),
    user: str(first(created, 'user.name') ?? first(deleted, 'user.name')),
    deleteUser: str(first(deleted, 'user.name')),
    createdAt: str(createdAt),
    deletedAt: str(deletedAt),
    gap: gapMs(createdAt, deletedAt),
    provenance: events.map((e) => e._provenance),
  };
}

/** A stable identity for a result (its events' provenance), to compare two runs. */
export function resultId(result) {
  return JSON.stringify((result.events ?? []).map((e) => [e._provenance, first(e._source, '@timestamp')]));
}
