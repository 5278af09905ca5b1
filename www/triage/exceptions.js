// Rule exceptions as Elastic defines them (items OR-ed, entries AND-ed; `is`, `is one of`,
// `matches`, `exists` and their negations), stored as the JSON Kibana exports for exception list
// items. The engine applies them to events BEFORE matching (src/exceptions.rs); this module keeps
// the list (localStorage), imports/exports it, and evaluates items against the few events of
// result rows, only to count how many matches each one suppressed.
import { values } from './fields.js';

const STORAGE_KEY = 'eqlite.exceptions.v1';

export const OPERATORS = {
  match: 'is',
  match_any: 'is one of',
  wildcard: 'matches',
  exists: 'exists',
};

/** "user.name is not "x"" -- one entry in words. */
export function describeEntry(entry) {
  const not = entry.operator === 'excluded';
  const value = Array.isArray(entry.value) ? entry.value.map((v) => JSON.stringify(v)).join(', ') : JSON.stringify(entry.value);
  switch (entry.type) {
    case 'match':
      return `${entry.field} ${not ? 'is not' : 'is'} ${value}`;
    case 'match_any':
      return `${entry.field} ${not ? 'is not one of' : 'is one of'} ${value}`;
    case 'wildcard':
      return `${entry.field} ${not ? 'does not match' : 'matches'} ${value}`;
    case 'exists':
      return `${entry.field} ${not ? 'does not exist' : 'exists'}`;
    default:
      return `${entry.field} ${entry.type} ${value}`;
  }
}

export const describeItem = (item) => item.entries.map(describeEntry).join(' AND ');

/** Elasticsearch wildcard: `*`, `?`, `\` escapes; case-sensitive. */
export function wildcardMatch(pattern, text) {
  let re = '^';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*') re += '[\\s\\S]*';
    else if (c === '?') re += '[\\s\\S]';
    else {
      const literal = c === '\\' && i + 1 < pattern.length ? pattern[++i] : c;
      re += literal.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    }
  }
  return new RegExp(`${re}$`, 'u').test(text);
}

function equals(value, s) {
  if (typeof value === 'number') return (s.trim() !== '' && Number(s) === value) || String(value) === s;
  return String(value) === s;
}

export function entryMatches(entry, source) {
  const vs = values(source, entry.field);
  let hit;
  switch (entry.type) {
    case 'exists':
      hit = vs.length > 0;
      break;
    case 'match':
      hit = vs.some((v) => equals(v, entry.value));
      break;
    case 'match_any':
      hit = vs.some((v) => entry.value.some((s) => equals(v, s)));
      break;
    case 'wildcard':
      hit = vs.some((v) => wildcardMatch(entry.value, String(v)));
      break;
    default:
      hit = false;
  }
  return entry.operator === 'excluded' ? !hit : hit;
}

export const itemMatches = (item, source) => item.entries.length > 0 && item.entries.every((e) => entryMatches(e, source));

/** Reads Kibana's export (NDJSON), a JSON array of items, or one item; skips list headers and
 *  export summaries. Throws with a message naming the bad item. */
export function parseExceptions(text) {
  const trimmed = text.trim();
  if (!trimmed) return [];
  let docs;
  try {
    const whole = JSON.parse(trimmed);
    docs = Array.isArray(whole) ? whole : [whole];
  } catch {
    docs = trimmed
      .split('\n')
      .filter((l) => l.trim())
      .map((line, n) => {
        try {
          return JSON.parse(line);
        } catch (error) {
          throw new Error(`line ${n + 1} is not JSON: ${error.message}`);
        }
      });
  }
  const items = [];
  for (const doc of docs) {
    if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw new Error(`exception item ${items.length + 1} is not an object`);
    if (!('entries' in doc) && (Object.keys(doc).some((k) => k.startsWith('exported_')) || 'list_id' in doc)) continue;
    if (!Array.isArray(doc.entries) || doc.entries.length === 0) throw new Error(`exception item ${items.length + 1} has no entries`);
    for (const [i, e] of doc.entries.entries()) {
      if (!(e.type in OPERATORS)) throw new Error(`exception item ${items.length + 1}, entry ${i + 1}: type ${JSON.stringify(e.type)} is not supported (match, match_any, wildcard, exists)`);
      if (e.operator !== 'included' && e.operator !== 'excluded') throw new Error(`exception item ${items.length + 1}, entry ${i + 1}: operator must be "included" or "excluded"`);
      if (typeof e.field !== 'string' || !e.field) throw new Error(`exception item ${items.length + 1}, entry ${i + 1}: missing field`);
    }
    items.push({
      item_id: doc.item_id ?? newId(),
      name: doc.name ?? describeItem(doc),
      description: doc.description ?? '',
      type: 'simple',
      entries: doc.entries.map(({ field, operator, type, value }) => (type === 'exists' ? { field, operator, type } : { field, operator, type, value })),
      ...(doc.created_at ? { created_at: doc.created_at } : {}),
    });
  }
  return items;
}

const newId = () => (globalThis.crypto?.randomUUID?.() ?? `${Date.now()}-${Math.random()}`).toString();

/** An exception item from entries made on this page. */
export function makeItem(entries) {
  const item = { item_id: newId(), name: '', description: 'Added from the eqlite triage page', type: 'simple', entries, created_at: new Date().toISOString() };
  item.name = describeItem(item);
  return item;
}

/** An exception item with one `is` entry ("exclude this user"). */
export const makeIsItem = (field, value) => makeItem([{ field, operator: 'included', type: 'match', value: String(value) }]);

export function loadStored(storage = globalThis.localStorage) {
  try {
    return parseExceptions(storage?.getItem(STORAGE_KEY) ?? '');
  } catch {
    return [];
  }
}

export function store(items, storage = globalThis.localStorage) {
  try {
    storage?.setItem(STORAGE_KEY, JSON.stringify(items));
  } catch {
    // storage full or disabled: the list still works for this session
  }
}

/** The JSON text handed to the engine and written on export. */
export const toJson = (items) => JSON.stringify(items, null, 2);

/**
 * Per item, how many matches of the exception-free run it suppresses: a match counts for an item
 * when the item matches at least one of the match's events (so the engine, which drops those
 * events before matching, cannot produce that match from them).
 */
export function suppressedBy(items, baseline) {
  return items.map((item) =>
    baseline.filter((r) => (r.events ?? []).some((e) => !e.missing && itemMatches(item, e._source ?? {}))).length,
  );
}
