// The page's exception list: Kibana's exception-item JSON, remembered in localStorage. Reading,
// validating, describing and applying the items is the engine's (src/exceptions.rs, through
// parseExceptions() and the Correlator's `exceptions` option); this module only stores items and
// builds new ones from the page's form, in the shape Kibana exports.

const STORAGE_KEY = 'eqlite.exceptions.v1';

const newId = () => (globalThis.crypto?.randomUUID?.() ?? `${Date.now()}-${Math.random()}`).toString();

/** A new exception item (Kibana's shape) from entries made on this page. */
export const makeItem = (entries) => ({
  item_id: newId(),
  name: '',
  description: 'Added from the eqlite triage page',
  type: 'simple',
  entries,
  created_at: new Date().toISOString(),
});

/** An exception item with one `is` entry ("exclude this user"). */
export const makeIsItem = (field, value) => makeItem([{ field, operator: 'included', type: 'match', value: String(value) }]);

/** Whether `item` is exactly "field is value" (so the same exclusion is not added twice). */
export const isItemFor = (item, field, value) => {
  const [e, more] = item.entries ?? [];
  return !more && e?.type === 'match' && e.operator === 'included' && e.field === field && e.value === String(value);
};

/** The stored items' JSON text ('' when none or storage is unavailable). */
export function loadStored(storage = globalThis.localStorage) {
  try {
    return storage?.getItem(STORAGE_KEY) ?? '';
  } catch {
    return '';
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
